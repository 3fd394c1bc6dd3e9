"""SMS through Twilio, end to end: send_outbound → worker → a local fake of Twilio's API,
and Twilio's webhooks (a STOP reply, a status callback) back into Comptoir."""

import base64
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from comptoir.consents import services as consents
from comptoir.consents.models import Channel, ConsentStatus, Purpose, Source, Suppression
from comptoir.consents.rules import Reason
from comptoir.customers.models import Customer, Identity
from comptoir.messaging import dispatch
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.sending import Outbound, send_outbound
from comptoir.messaging.services import save_message_template
from comptoir.sms.models import InboundSms, SmsSend
from comptoir.sms.signature import is_signed_by_twilio, twilio_signature
from tests.sms_fake_provider import ACCOUNT_SID, AUTH_TOKEN

pytestmark = pytest.mark.django_db
MOBILE = "+33612345678"
PUBLIC_INBOUND = "https://crm.shop.example/sms/twilio/inbound/"
PUBLIC_STATUS = "https://crm.shop.example/sms/twilio/status/"


@pytest.fixture
def jeanne() -> Customer:
    customer = Customer.objects.create(first_name="Jeanne", last_name="Martin")
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value=MOBILE)
    return customer


def sms_template(slug: str, kind: str, text: str) -> MessageTemplate:
    return save_message_template(
        template=MessageTemplate(slug=slug),
        subject="Votre commande",
        body="<p>Bonjour</p>",
        author=None,
        name=slug,
        kind=kind,
        channel="sms",
        sms_text=text,
    )


@pytest.fixture
def order_ready() -> MessageTemplate:
    return sms_template(
        "order-ready", "transactional", "Bonjour {{ first_name }}, votre commande est disponible."
    )


@pytest.fixture
def offer() -> MessageTemplate:
    return sms_template(
        "offer", "marketing", "Bonjour {{ first_name }}, une offre vous attend. STOP au 36180"
    )


def opt_in(customer: Customer) -> None:
    consents.record_consent(
        customer=customer,
        purpose=Purpose.MARKETING,
        channel=Channel.SMS,
        status=ConsentStatus.GRANTED,
        proof=consents.Proof(source=Source.FORM),
    )


def send(template: MessageTemplate, customer: Customer, capture, key: str = "") -> Delivery:
    with capture(execute=True):
        delivery = send_outbound(Outbound(template=template, customer=customer, dedupe_key=key))
    delivery.refresh_from_db()
    return delivery


def post_webhook(client, fake, url: str, params: dict[str, str], signature: str | None = None):
    return client.post(
        url.removeprefix("https://crm.shop.example"),
        params,
        HTTP_X_TWILIO_SIGNATURE=fake.sign(url, params) if signature is None else signature,
    )


def inbound_params(body: str, sid: str = "SM" + "a" * 32, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": MOBILE,
        "To": "+33757000000",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        **extra,
    }


def test_service_sms_reaches_twilio_as_documented(
    fake_twilio, jeanne, order_ready, django_capture_on_commit_callbacks
):
    delivery = send(order_ready, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.SENT
    [request] = fake_twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request["headers"]["Authorization"] == f"Basic {credentials}"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert request["form"] == {
        "To": MOBILE,
        "From": "COMPTOIR",
        "Body": "Bonjour Jeanne, votre commande est disponible.",
        "StatusCallback": PUBLIC_STATUS,
    }
    [message] = fake_twilio.messages
    assert delivery.provider_message_id == message["sid"]
    sms = SmsSend.objects.get(delivery=delivery)
    assert (sms.segments, sms.encoding, sms.state) == (1, "GSM-7", SmsSend.State.ACCEPTED)
    assert sms.provider_status == "queued"


def test_marketing_sms_without_opt_in_is_refused_before_twilio(
    fake_twilio, jeanne, offer, django_capture_on_commit_callbacks
):
    delivery = send(offer, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.REFUSED
    assert delivery.refusal_reason == Reason.NO_OPT_IN
    assert fake_twilio.requests == []


def test_marketing_sms_with_opt_in_is_sent(
    fake_twilio, jeanne, offer, django_capture_on_commit_callbacks
):
    opt_in(jeanne)

    delivery = send(offer, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.SENT
    assert len(fake_twilio.messages) == 1


def test_stop_reply_withdraws_consent_and_later_marketing_sms_is_refused(
    client, fake_twilio, jeanne, offer, order_ready, django_capture_on_commit_callbacks
):
    opt_in(jeanne)

    response = post_webhook(client, fake_twilio, PUBLIC_INBOUND, inbound_params("Stop SMS"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert b"<Response></Response>" in response.content
    assert consents.current_marketing_status(jeanne, Channel.SMS) == ConsentStatus.WITHDRAWN
    suppression = Suppression.objects.get(value=MOBILE, channel=Channel.SMS)
    assert suppression.reason == Suppression.Reason.UNSUBSCRIBED
    stop = InboundSms.objects.get()
    assert (stop.kind, stop.customer) == (InboundSms.Kind.STOP, jeanne)

    marketing = send(offer, jeanne, django_capture_on_commit_callbacks, key="offer-2")
    assert marketing.status == Delivery.Status.REFUSED
    assert marketing.refusal_reason == Reason.SUPPRESSED_UNSUBSCRIBED
    # Leaving marketing does not cut the customer off from their order's messages.
    service = send(order_ready, jeanne, django_capture_on_commit_callbacks)
    assert service.status == Delivery.Status.SENT
    assert [m["Body"] for m in fake_twilio.messages] == [
        "Bonjour Jeanne, votre commande est disponible."
    ]


def test_the_same_stop_webhook_twice_is_recorded_once(client, fake_twilio, jeanne):
    opt_in(jeanne)
    params = inbound_params("STOP")

    post_webhook(client, fake_twilio, PUBLIC_INBOUND, params)
    post_webhook(client, fake_twilio, PUBLIC_INBOUND, params)

    assert InboundSms.objects.count() == 1
    assert jeanne.consent_records.filter(status=ConsentStatus.WITHDRAWN).count() == 1


def test_stop_from_an_unknown_number_still_suppresses_it(client, fake_twilio):
    params = inbound_params("ARRET", From="+33698765432")

    assert post_webhook(client, fake_twilio, PUBLIC_INBOUND, params).status_code == 200

    assert Suppression.objects.get(value="+33698765432").reason == Suppression.Reason.UNSUBSCRIBED
    assert InboundSms.objects.get().customer is None


def test_inbound_webhook_without_message_sid_is_a_bad_request(client, fake_twilio):
    params = inbound_params("STOP")
    del params["MessageSid"]

    assert post_webhook(client, fake_twilio, PUBLIC_INBOUND, params).status_code == 400
    assert not Suppression.objects.exists()


@pytest.mark.parametrize(
    ("body", "opt_out_type", "is_stop"),
    [
        ("STOP", "", True),
        ("Stop", "", True),
        ("stop sms", "", True),
        ("ARRET", "", True),
        ("Arrêt", "", True),
        ("STOP merci", "", True),
        ("Unsubscribe", "", True),
        ("Annuler", "STOP", True),  # one of Twilio's keywords in its own language
        ("Stop, ma commande n'est pas arrivée, pouvez-vous m'aider ?", "", False),
        ("Bonjour, je voudrais changer mon adresse", "", False),
        ("", "", False),
    ],
)
def test_stop_words(body, opt_out_type, is_stop):
    from comptoir.sms.inbound import is_stop_request

    assert is_stop_request(body, opt_out_type) is is_stop


def test_any_other_sms_is_recorded_for_the_customer_without_touching_consent(
    client, fake_twilio, jeanne
):
    opt_in(jeanne)

    response = post_webhook(
        client, fake_twilio, PUBLIC_INBOUND, inbound_params("Bonjour, à quelle heure ouvrez-vous ?")
    )

    assert response.status_code == 200
    inbound = InboundSms.objects.get()
    assert (inbound.kind, inbound.customer, inbound.from_number) == (
        InboundSms.Kind.MESSAGE,
        jeanne,
        MOBILE,
    )
    assert consents.current_marketing_status(jeanne, Channel.SMS) == ConsentStatus.GRANTED
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("signature", ["", "bm90IHRoZSByaWdodCBzaWduYXR1cmU="])
def test_webhook_without_twilios_signature_is_refused(client, fake_twilio, jeanne, signature):
    opt_in(jeanne)

    response = post_webhook(
        client, fake_twilio, PUBLIC_INBOUND, inbound_params("STOP"), signature=signature
    )

    assert response.status_code == 403
    assert not InboundSms.objects.exists()
    assert consents.current_marketing_status(jeanne, Channel.SMS) == ConsentStatus.GRANTED


def test_webhook_signed_for_another_url_is_refused(client, fake_twilio, jeanne):
    params = inbound_params("STOP")
    signature = fake_twilio.sign("https://attacker.example/sms/twilio/inbound/", params)

    response = post_webhook(client, fake_twilio, PUBLIC_INBOUND, params, signature=signature)

    assert response.status_code == 403


def test_status_callback_without_twilios_signature_changes_nothing(
    client, fake_twilio, jeanne, order_ready, django_capture_on_commit_callbacks
):
    delivery = send(order_ready, jeanne, django_capture_on_commit_callbacks)
    params = {"MessageSid": delivery.provider_message_id, "MessageStatus": "failed"}

    response = post_webhook(client, fake_twilio, PUBLIC_STATUS, params, signature="Zm9v")

    assert response.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_a_number_that_is_not_a_mobile_fails_before_twilio(
    fake_twilio, order_ready, django_capture_on_commit_callbacks
):
    customer = Customer.objects.create(first_name="Paul")
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value="12")

    delivery = send(order_ready, customer, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.FAILED
    assert "not a valid mobile number" in delivery.last_error
    assert fake_twilio.requests == []


def test_webhook_only_takes_posts(client, fake_twilio):
    assert client.get(reverse("sms:inbound")).status_code == 405


def test_signature_matches_the_example_of_twilios_documentation():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }

    assert twilio_signature("12345", url, params.items()) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert is_signed_by_twilio("12345", url, params.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not is_signed_by_twilio("", url, params.items(), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")


def test_segments_are_counted_and_stored(
    fake_twilio, jeanne, settings, django_capture_on_commit_callbacks
):
    settings.COMPTOIR_SMS_MAX_SEGMENTS = 3
    # "ê" is outside GSM 03.38: the whole SMS goes in UCS-2, 67 characters a segment.
    long_text = "Bonjour {{ first_name }}, votre fenêtre de livraison est confirmée. " * 3
    template = sms_template("long", "transactional", long_text)

    delivery = send(template, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.SENT
    sms = SmsSend.objects.get(delivery=delivery)
    assert (sms.encoding, sms.segments) == ("UCS-2", 3)


def test_text_over_the_segment_limit_fails_without_reaching_twilio(
    fake_twilio, jeanne, settings, django_capture_on_commit_callbacks
):
    settings.COMPTOIR_SMS_MAX_SEGMENTS = 1
    template = sms_template("long", "transactional", "Votre commande est disponible. " * 6)

    delivery = send(template, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.FAILED
    assert "2 segments" in delivery.last_error
    assert fake_twilio.requests == []


def test_twilio_4xx_fails_for_good(
    fake_twilio, jeanne, order_ready, django_capture_on_commit_callbacks
):
    fake_twilio.fail_next(400, 21408, "Permission to send an SMS has not been enabled")

    delivery = send(order_ready, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.FAILED
    assert "21408" in delivery.last_error
    assert dispatch.send_due_deliveries() == 0
    assert fake_twilio.messages == []


def test_twilio_unsubscribed_recipient_suppresses_the_number(
    fake_twilio, jeanne, order_ready, django_capture_on_commit_callbacks
):
    fake_twilio.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")

    delivery = send(order_ready, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.FAILED
    assert Suppression.objects.get(value=MOBILE).reason == Suppression.Reason.UNSUBSCRIBED


@pytest.mark.parametrize(("status", "code"), [(500, 20500), (503, 20503), (429, 20429)])
def test_twilio_5xx_or_429_is_retried_and_sent_once(
    fake_twilio, jeanne, order_ready, settings, django_capture_on_commit_callbacks, status, code
):
    settings.COMPTOIR_SEND_RETRY_BASE_SECONDS = 60
    fake_twilio.fail_next(status, code, "Service unavailable")

    delivery = send(order_ready, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert dispatch.send_due_deliveries() == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert len(fake_twilio.messages) == 1


def test_unreachable_twilio_leaves_the_delivery_queued(
    fake_twilio, jeanne, order_ready, settings, django_capture_on_commit_callbacks
):
    from tests.smtp_sink import free_port

    settings.COMPTOIR_SMS_API_URL = f"http://127.0.0.1:{free_port()}"  # nobody listens

    delivery = send(order_ready, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.QUEUED
    assert SmsSend.objects.get(delivery=delivery).state == SmsSend.State.NOT_SENT


def test_a_lost_answer_is_never_sent_again(
    fake_twilio, jeanne, order_ready, django_capture_on_commit_callbacks
):
    fake_twilio.hang_up_next = 1

    delivery = send(order_ready, jeanne, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.FAILED
    assert "may have been sent" in delivery.last_error
    # Even put back in the queue by hand, it does not leave a second time.
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.QUEUED)
    dispatch.send_delivery(delivery.pk)
    assert len(fake_twilio.requests) == 1


def test_undelivered_status_bounces_the_delivery_and_suppresses_a_dead_number(
    client, fake_twilio, jeanne, order_ready, django_capture_on_commit_callbacks
):
    delivery = send(order_ready, jeanne, django_capture_on_commit_callbacks)
    params = {
        "MessageSid": delivery.provider_message_id,
        "SmsSid": delivery.provider_message_id,
        "AccountSid": ACCOUNT_SID,
        "From": "COMPTOIR",
        "To": MOBILE,
        "MessageStatus": "undelivered",
        "SmsStatus": "undelivered",
        "ErrorCode": "30005",
        "ApiVersion": "2010-04-01",
    }

    response = post_webhook(client, fake_twilio, PUBLIC_STATUS, params)

    assert response.status_code == 204
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED
    assert "30005" in delivery.last_error
    assert Suppression.objects.get(value=MOBILE).reason == Suppression.Reason.HARD_BOUNCE
    assert SmsSend.objects.get(delivery=delivery).provider_status == "undelivered"


def test_delivered_status_is_recorded(
    client, fake_twilio, jeanne, order_ready, django_capture_on_commit_callbacks
):
    delivery = send(order_ready, jeanne, django_capture_on_commit_callbacks)
    params = {"MessageSid": delivery.provider_message_id, "MessageStatus": "delivered"}

    post_webhook(client, fake_twilio, PUBLIC_STATUS, params)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert SmsSend.objects.get(delivery=delivery).provider_status == "delivered"
