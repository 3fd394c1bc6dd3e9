"""The one sending path: consent, channel choice, dedupe, then render, gate and send."""

from decimal import Decimal

import pytest
from django.test import Client

from comptoir.agents.tokens import create_api_token
from comptoir.campaigns.models import Campaign
from comptoir.consents.links import customer_token
from comptoir.consents.models import Channel, ConsentStatus, Preference, Purpose, Source
from comptoir.consents.rules import Reason
from comptoir.consents.services import Proof, record_consent
from comptoir.customers.models import BusinessEvent, Customer, Identity, ProfileChange
from comptoir.customers.services import record_business_event
from comptoir.messaging import dispatch
from comptoir.messaging.models import Delivery, MessageTemplate, SendReason
from comptoir.messaging.outgoing import outgoing_for
from comptoir.messaging.sending import Outbound, send_outbound
from comptoir.messaging.services import load_catalogue, save_message_template

pytestmark = pytest.mark.django_db
EMAIL = "jeanne.martin@example.fr"
PHONE = "+33612345678"


@pytest.fixture
def no_worker(settings):
    """Queued deliveries stay queued until the test runs the dispatcher itself."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def sms_provider(settings):
    """SMS configured (the provider is never called: these tests do not dispatch SMS)."""
    settings.COMPTOIR_SMS_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
    settings.COMPTOIR_SMS_AUTH_TOKEN = "token"
    settings.COMPTOIR_SMS_SENDER = "COMPTOIR"


@pytest.fixture
def catalogue(db):
    load_catalogue()


@pytest.fixture
def customer(db) -> Customer:
    customer = Customer.objects.create(first_name="Jeanne", last_name="Martin", language="fr")
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=EMAIL)
    return customer


def template(slug: str) -> MessageTemplate:
    return MessageTemplate.objects.get(slug=slug)


def with_sms_text(template: MessageTemplate, text: str) -> MessageTemplate:
    return save_message_template(
        template=template, subject=template.subject, body=template.body, sms_text=text, author=None
    )


def order(customer: Customer) -> BusinessEvent:
    return record_business_event(
        customer=customer,
        kind=BusinessEvent.Kind.ORDER_PLACED,
        source="shop",
        external_id="CMD-1042",
        title="Commande CMD-1042",
        amount=Decimal("1234.50"),
        currency="EUR",
    ).event


def grant(customer: Customer, purpose: str, channel: str) -> None:
    record_consent(
        customer=customer,
        purpose=purpose,
        channel=channel,
        status=ConsentStatus.GRANTED,
        proof=Proof(source=Source.FORM),
    )


def test_an_order_confirmation_is_sent_personalised_once_whatever_the_retries(
    catalogue, customer, no_worker, smtp_sink
):
    event = order(customer)
    outbound = Outbound(template=template("order-confirmation"), customer=customer, event=event)

    delivery = send_outbound(outbound)
    again = send_outbound(outbound)

    assert again.pk == delivery.pk, "the same event and template make one delivery"
    assert (delivery.status, delivery.channel, delivery.recipient) == ("queued", "email", EMAIL)
    assert delivery.template_version == template("order-confirmation").live_version
    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.SENT
    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.SENT
    assert len(smtp_sink.received) == 1
    received = smtp_sink.received[0].message
    html = received.get_body(("html",)).get_content()
    text = received.get_body(("plain",)).get_content()
    assert "Jeanne" in html and "Jeanne" in text
    assert "CMD-1042" in received["Subject"] + html
    assert received["Message-ID"].startswith(f"<delivery.{delivery.pk}.")
    assert "List-Unsubscribe" not in received, "a transactional message offers no unsubscribe"


def test_a_relationship_email_carries_the_one_click_unsubscribe(
    catalogue, customer, no_worker, smtp_sink
):
    grant(customer, Purpose.MARKETING, Channel.EMAIL)
    delivery = send_outbound(Outbound(template=template("welcome"), customer=customer))

    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.SENT
    received = smtp_sink.received[0].message
    assert customer_token(customer) in received["List-Unsubscribe"]
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_marketing_to_a_prospect_without_opt_in_is_refused_and_never_sent(
    catalogue, customer, no_worker
):
    delivery = send_outbound(
        Outbound(template=template("live-session-invitation"), customer=customer)
    )

    assert delivery.status == Delivery.Status.REFUSED
    assert delivery.refusal_reason == Reason.NO_OPT_IN
    assert delivery.get_refusal_reason_display()


def test_a_customer_without_any_address_gets_a_refused_delivery_saying_so(catalogue, no_worker):
    nobody = Customer.objects.create(first_name="Paul")
    delivery = send_outbound(Outbound(template=template("welcome"), customer=nobody))
    assert (delivery.status, delivery.refusal_reason) == ("refused", Reason.NO_ADDRESS)


def test_the_preferred_channel_wins_among_those_consent_allows(
    catalogue, customer, no_worker, sms_provider
):
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value=PHONE)
    Preference.objects.create(customer=customer, preferred_channel=Channel.SMS)
    grant(customer, Purpose.MARKETING, Channel.EMAIL)
    welcome = with_sms_text(
        template("welcome"), "{{ greeting }} bienvenue chez {{ company.name }} ! STOP au 36180"
    )

    without_sms_consent = send_outbound(
        Outbound(template=welcome, customer=customer, dedupe_key="welcome-1")
    )
    grant(customer, Purpose.MARKETING, Channel.SMS)
    with_sms_consent = send_outbound(
        Outbound(template=welcome, customer=customer, dedupe_key="welcome-2")
    )

    assert (without_sms_consent.channel, without_sms_consent.status) == ("email", "queued")
    assert (with_sms_consent.channel, with_sms_consent.recipient) == ("sms", PHONE)


def test_one_message_never_goes_on_two_channels(catalogue, customer, no_worker, sms_provider):
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value=PHONE)
    welcome = with_sms_text(template("welcome"), "Bienvenue ! STOP au 36180")
    grant(customer, Purpose.MARKETING, Channel.EMAIL)
    first = send_outbound(Outbound(template=welcome, customer=customer, dedupe_key="welcome"))
    Preference.objects.create(customer=customer, preferred_channel=Channel.SMS)
    grant(customer, Purpose.MARKETING, Channel.SMS)

    second = send_outbound(Outbound(template=welcome, customer=customer, dedupe_key="welcome"))

    assert second.pk == first.pk
    assert Delivery.objects.filter(customer=customer).count() == 1


def test_a_campaign_reaches_a_customer_once(catalogue, customer, no_worker):
    grant(customer, Purpose.MARKETING, Channel.EMAIL)
    campaign = Campaign.objects.create(name="Live", template=template("live-session-invitation"))
    outbound = Outbound(template=campaign.template, customer=customer, campaign=campaign)

    assert send_outbound(outbound).pk == send_outbound(outbound).pk
    assert campaign.deliveries.count() == 1


def test_a_template_version_with_gate_errors_is_not_sent(catalogue, customer, no_worker, smtp_sink):
    broken = template("order-confirmation")
    save_message_template(
        template=broken,
        subject="Votre commande",
        body="<mjml><mj-body><mj-section><mj-column><mj-text>Merci.</mj-text>"
        "</mj-column></mj-section></mj-body></mjml>",
        author=None,
    )
    delivery = send_outbound(Outbound(template=broken, customer=customer, dedupe_key="k"))

    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.REFUSED
    delivery.refresh_from_db()
    assert delivery.refusal_reason == SendReason.QUALITY_GATE
    assert smtp_sink.received == []


def test_the_shop_asks_for_a_message_through_the_api_and_reads_its_fate(
    catalogue, customer, no_worker
):
    token = create_api_token(name="shop", scopes=["messages:send"]).secret
    client = Client(headers={"Authorization": f"Bearer {token}"})
    event = order(customer)
    payload = {"template": "order-confirmation", "customer_id": customer.pk, "event_id": event.pk}

    first = client.post("/api/messages", payload, content_type="application/json")
    again = client.post("/api/messages", payload, content_type="application/json")
    # A prospect: no purchase, so no soft opt-in either.
    marketing = client.post(
        "/api/messages",
        {"template": "live-session-invitation", "email": "paul.prospect@example.fr"},
        content_type="application/json",
    )

    assert first.status_code == 202 and first.json()["status"] == "queued"
    assert again.json()["id"] == first.json()["id"]
    assert (marketing.json()["status"], marketing.json()["reason"]) == ("refused", "no_opt_in")
    read = client.get(f"/api/deliveries/{first.json()['id']}").json()
    assert (read["template"], read["channel"], read["recipient"]) == (
        "order-confirmation",
        "email",
        EMAIL,
    )
    unknown = client.post(
        "/api/messages", {"template": "nope", "email": EMAIL}, content_type="application/json"
    )
    assert unknown.status_code == 422


def test_the_messages_api_needs_its_scope(catalogue, customer):
    token = create_api_token(name="crm", scopes=["customers:read"]).secret
    response = Client(headers={"Authorization": f"Bearer {token}"}).post(
        "/api/messages", {"template": "welcome", "email": EMAIL}, content_type="application/json"
    )
    assert response.status_code == 403


def test_sms_is_not_chosen_when_no_provider_is_configured(catalogue, customer, no_worker):
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value=PHONE)
    Preference.objects.create(customer=customer, preferred_channel=Channel.SMS)
    grant(customer, Purpose.MARKETING, Channel.SMS)
    grant(customer, Purpose.MARKETING, Channel.EMAIL)
    welcome = with_sms_text(template("welcome"), "Bienvenue ! STOP au 36180")

    delivery = send_outbound(Outbound(template=welcome, customer=customer))

    assert (delivery.channel, delivery.status) == ("email", "queued")


def test_the_names_the_shop_gives_fill_the_blanks_of_the_record_never_overwrite(
    catalogue, customer, no_worker
):
    token = create_api_token(name="shop", scopes=["messages:send"]).secret
    client = Client(headers={"Authorization": f"Bearer {token}"})
    nameless = Customer.objects.create()
    Identity.objects.create(customer=nameless, kind=Identity.Kind.EMAIL, value="karim@example.fr")

    def ask(**who: object) -> dict:
        payload = {"template": "order-confirmation", "dedupe_key": str(who), **who}
        response = client.post("/api/messages", payload, content_type="application/json")
        assert response.status_code == 202
        return response.json()

    ask(email="karim@example.fr", first_name=" Karim ", last_name="Benali")
    ask(customer_id=customer.pk, first_name="Jeannette", last_name="Dupont")
    new = ask(email="nouvelle@example.fr", first_name="Inès")

    nameless.refresh_from_db()
    customer.refresh_from_db()
    assert (nameless.first_name, nameless.last_name) == ("Karim", "Benali")
    assert nameless.profile_changes.get().source == ProfileChange.Source.API
    assert (customer.first_name, customer.last_name) == ("Jeanne", "Martin")
    assert not customer.profile_changes.exists()
    greeting = outgoing_for(Delivery.objects.get(pk=new["id"])).text
    assert "Bonjour Inès" in greeting
