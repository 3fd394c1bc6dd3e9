"""A campaign's batch takes the same decisions as one send at a time, in a few queries, and
renders the same message from a template compiled once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comptoir.campaigns.models import Campaign
from comptoir.consents.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Preference,
    Purpose,
    Source,
    Suppression,
)
from comptoir.customers.models import Customer, Identity, Store
from comptoir.messaging import dispatch, rendering
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.plain_text import html_to_plain_text
from comptoir.messaging.sending import Outbound, send_outbound, send_outbound_many
from comptoir.messaging.services import load_catalogue, save_message_template

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_worker(settings):
    """Queued deliveries wait for the test to send them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def catalogue(db) -> None:
    load_catalogue()


@pytest.fixture
def invitation(catalogue, settings) -> MessageTemplate:
    """A marketing template that may also go by SMS (an SMS provider configured)."""
    settings.COMPTOIR_SMS_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
    settings.COMPTOIR_SMS_AUTH_TOKEN = "token"
    settings.COMPTOIR_SMS_SENDER = "COMPTOIR"
    template = MessageTemplate.objects.get(slug="live-session-invitation")
    return save_message_template(
        template=template,
        subject=template.subject,
        body=template.body,
        sms_text="{{ greeting }} Live le {{ event.session_on|date_fr }}. STOP au 36111",
        author=None,
    )


def customer(
    name: str, *, email: str | None = None, phone: str | None = None, **fields
) -> Customer:
    person = Customer.objects.create(first_name=name, **fields)
    if email:
        Identity.objects.create(customer=person, kind=Identity.Kind.EMAIL, value=email)
    if phone:
        Identity.objects.create(customer=person, kind=Identity.Kind.PHONE, value=phone)
    return person


def consent(person: Customer, status: str, channel: str = Channel.EMAIL) -> None:
    ConsentRecord.objects.create(
        customer=person,
        purpose=Purpose.MARKETING,
        channel=channel,
        status=status,
        source=Source.FORM,
        collected_at=timezone.now() - timedelta(days=1),
    )


def varied_population() -> list[Customer]:
    consented = customer("Alice", email="alice@example.fr")
    consent(consented, ConsentStatus.GRANTED)
    withdrawn = customer("Bruno", email="bruno@example.fr")
    consent(withdrawn, ConsentStatus.GRANTED)
    consent(withdrawn, ConsentStatus.WITHDRAWN)
    suppressed = customer("Chloé", email="chloe@example.fr")
    consent(suppressed, ConsentStatus.GRANTED)
    Suppression.objects.create(
        value="chloe@example.fr", channel=Channel.EMAIL, reason="hard_bounce"
    )
    unsubscribed = customer("Denis", email="denis@example.fr")
    consent(unsubscribed, ConsentStatus.GRANTED)
    Suppression.objects.create(
        value="denis@example.fr", channel=Channel.EMAIL, reason="unsubscribed"
    )
    soft_opt_in = customer(
        "Emma", email="emma@example.fr", last_purchase_at=timezone.now() - timedelta(days=30)
    )
    prospect = customer("Farid", email="farid@example.fr")
    no_address = customer("Gaëlle")
    consent(no_address, ConsentStatus.GRANTED)
    topic_not_chosen = customer("Hugo", email="hugo@example.fr")
    consent(topic_not_chosen, ConsentStatus.GRANTED)
    Preference.objects.create(customer=topic_not_chosen, topics=["news"])
    prefers_sms = customer("Inès", email="ines@example.fr", phone="+33612345678")
    consent(prefers_sms, ConsentStatus.GRANTED)
    consent(prefers_sms, ConsentStatus.GRANTED, Channel.SMS)
    Preference.objects.create(
        customer=prefers_sms, preferred_channel=Channel.SMS, topics=["events", "offers"]
    )
    sms_without_consent = customer("Jules", email="jules@example.fr", phone="+33612345679")
    consent(sms_without_consent, ConsentStatus.GRANTED)
    Preference.objects.create(customer=sms_without_consent, preferred_channel=Channel.SMS)
    return [
        consented,
        withdrawn,
        suppressed,
        unsubscribed,
        soft_opt_in,
        prospect,
        no_address,
        topic_not_chosen,
        prefers_sms,
        sms_without_consent,
    ]


def decisions(deliveries: list[Delivery]) -> list[tuple[int, str, str, str, str]]:
    return [(d.customer_id, d.channel, d.recipient, d.status, d.refusal_reason) for d in deliveries]


def campaign(template: MessageTemplate, name: str) -> Campaign:
    return Campaign.objects.create(name=name, template=template)


def test_a_batch_takes_the_same_decisions_as_one_send_at_a_time(invitation):
    people = varied_population()
    one_by_one, batch = campaign(invitation, "un par un"), campaign(invitation, "par lot")

    single = [
        send_outbound(Outbound(invitation, person, campaign=one_by_one, topic="events"))
        for person in people
    ]
    batched = send_outbound_many(
        [Outbound(invitation, person, campaign=batch, topic="events") for person in people]
    )

    assert decisions(batched) == decisions(single)
    statuses = {d.status for d in batched}
    assert statuses == {Delivery.Status.QUEUED, Delivery.Status.REFUSED}
    assert {d.channel for d in batched if d.status == Delivery.Status.QUEUED} == {"email", "sms"}


def test_a_service_message_in_a_batch_is_refused_only_by_a_dead_address(catalogue):
    order = MessageTemplate.objects.get(slug="order-confirmation")
    people = varied_population()
    one_by_one, batch = campaign(order, "un par un"), campaign(order, "par lot")

    single = [send_outbound(Outbound(order, p, campaign=one_by_one)) for p in people]
    batched = send_outbound_many([Outbound(order, p, campaign=batch) for p in people])

    assert decisions(batched) == decisions(single)
    refused = {d.refusal_reason for d in batched if d.status == Delivery.Status.REFUSED}
    assert refused == {"suppressed_hard_bounce", "no_address"}


def test_a_batch_asked_again_records_nothing_new_and_returns_the_same_deliveries(invitation):
    people = varied_population()
    batch = campaign(invitation, "par lot")
    outbounds = [Outbound(invitation, person, campaign=batch) for person in people]

    first = send_outbound_many(outbounds)
    again = send_outbound_many(outbounds + outbounds[:2])

    assert [d.pk for d in again] == [d.pk for d in first] + [d.pk for d in first[:2]]
    assert Delivery.objects.filter(campaign=batch).count() == len(people)


def test_a_batch_gives_way_to_a_delivery_recorded_by_another_request(invitation):
    people = varied_population()
    batch = campaign(invitation, "par lot")
    already = send_outbound(Outbound(invitation, people[0], campaign=batch))

    deliveries = send_outbound_many([Outbound(invitation, p, campaign=batch) for p in people])

    assert deliveries[0].pk == already.pk
    assert Delivery.objects.filter(campaign=batch).count() == len(people)


def email_population(count: int, start: int = 0) -> list[Customer]:
    store, _created = Store.objects.get_or_create(name="Lyon Part-Dieu", city="Lyon")
    people = Customer.objects.bulk_create(
        Customer(first_name=f"Client{n}", store=store) for n in range(start, start + count)
    )
    Identity.objects.bulk_create(
        Identity(customer=p, kind=Identity.Kind.EMAIL, value=f"client{n}@example.fr")
        for n, p in enumerate(people, start)
    )
    return people


def test_batch_dispatch_sends_each_delivery_once_over_real_smtp(catalogue, smtp_sink, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    order = MessageTemplate.objects.get(slug="order-confirmation")
    people = email_population(30)
    deliveries = send_outbound_many(
        [Outbound(order, p, campaign=campaign(order, "commandes"), context={}) for p in people]
    )
    ids = [d.pk for d in deliveries]

    first = dispatch.send_deliveries(ids)
    again = dispatch.send_deliveries(ids)

    assert first == {"sent": 30}
    assert again == {}, "nothing is claimed twice"
    assert sorted(r.envelope_to[0] for r in smtp_sink.received) == sorted(
        f"client{n}@example.fr" for n in range(30)
    )
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"sent"}
    received = smtp_sink.received[0].message
    assert received["Subject"].startswith("Client")
    assert "Bonjour Client" in received.get_body(("plain",)).get_content()


def test_batch_dispatch_refuses_what_consent_no_longer_allows(invitation, mailoutbox):
    people = varied_population()
    deliveries = send_outbound_many(
        [Outbound(invitation, p, campaign=campaign(invitation, "live")) for p in people]
    )
    queued = [d for d in deliveries if d.status == Delivery.Status.QUEUED and d.channel == "email"]
    Suppression.objects.create(value=queued[0].recipient, channel=Channel.EMAIL, reason="complaint")

    counts = dispatch.send_deliveries([d.pk for d in queued])

    assert counts == {"refused": 1, "sent": len(queued) - 1}
    queued[0].refresh_from_db()
    assert queued[0].refusal_reason == "suppressed_complaint"
    assert len(mailoutbox) == len(queued) - 1


def queries_to_decide_and_send(
    template: MessageTemplate, people: list[Customer]
) -> tuple[int, int]:
    """Count the queries of each half, the INSERT of the new deliveries counted once (SQLite
    takes at most 999 parameters a statement, so Django splits a large one)."""
    outbounds = [Outbound(template, p, campaign=campaign(template, "c")) for p in people]
    with CaptureQueriesContext(connection) as decide:
        deliveries = send_outbound_many(outbounds)
    with CaptureQueriesContext(connection) as send:
        counts = dispatch.send_deliveries([d.pk for d in deliveries])
    assert counts == {"sent": len(people)}
    inserts = [q for q in decide.captured_queries if q["sql"].startswith("INSERT")]
    return len(decide) - len(inserts) + 1, len(send)


def test_the_queries_of_a_chunk_do_not_grow_with_its_size(catalogue, mailoutbox):
    order = MessageTemplate.objects.get(slug="order-confirmation")
    queries_to_decide_and_send(order, email_population(2, start=1000))  # the gate's first look

    small = queries_to_decide_and_send(order, email_population(10, start=0))
    large = queries_to_decide_and_send(order, email_population(100, start=100))

    assert large == small
    # Sending reads the template, its version and the event once a chunk (shared by every
    # delivery) rather than joining them to each row.
    assert large[0] <= 12 and large[1] <= 15
    assert len(mailoutbox) == 112


# --- Rendering: compiled once, the same message ------------------------------------------


@pytest.fixture
def readers(db) -> list[Customer]:
    lyon = Store.objects.create(
        name="Lyon Part-Dieu",
        city="Lyon",
        phone="04 78 00 00 00",
        opening_hours="du lundi au samedi de 10 h à 19 h",
    )
    return [
        customer("Jeanne", email="jeanne@example.fr", store=lyon),
        customer("", email="anonyme@example.fr"),
        customer("O'Brien & <Fils>", email="obrien@example.fr", last_name="Dupont\n  Durand"),
    ]


def both_ways(
    template: MessageTemplate, person: Customer
) -> tuple[tuple[str, str], tuple[str, str]]:
    blocks = rendering.current_blocks()
    context = rendering.build_context(
        template=template, customer=person, event=template.sample_event, extra=None
    )
    context["subject"] = "Sujet"
    compiled = rendering.compiled_body(template.body, rendering.BlockSet(blocks))
    assert compiled is not None, f"{template.slug} is compiled once"
    full = rendering.render_in_full(template.body, context, blocks)
    return (compiled.render_html(context), compiled.render_text(context)), (
        full,
        html_to_plain_text(full),
    )


def test_every_catalogue_template_compiled_once_renders_the_full_path_message(catalogue, readers):
    for template in MessageTemplate.objects.all():
        for person in readers:
            fast, full = both_ways(template, person)
            assert fast[1] == full[1], (template.slug, person.first_name)
            assert rendering.normalised_html(fast[0]) == rendering.normalised_html(full[0])


def test_a_template_the_compiler_reads_values_from_is_rendered_in_full(catalogue, readers):
    template = MessageTemplate(name="Largeur", slug="largeur", kind="transactional")
    body = (
        '<mjml><mj-body><mj-section><mj-column width="{{ width }}">'
        "<mj-text><p>{{ greeting }}</p></mj-text></mj-column></mj-section></mj-body></mjml>"
    )
    save_message_template(template=template, subject="Essai", body=body, author=None)

    assert rendering.compiled_body(body, rendering.BlockSet(rendering.current_blocks())) is None
    rendered = rendering.render_message(
        template=template, customer=readers[0], extra={"width": "50%"}
    )
    assert "mj-column-per-50" in rendered.html
    assert rendered.text == "Bonjour Jeanne,"


def test_a_value_that_changes_the_layout_of_the_text_part_renders_as_in_full(catalogue, readers):
    template = MessageTemplate(name="Lien", slug="lien", kind="transactional")
    body = (
        "<html><body><p>{{ greeting }}</p>"
        '<p><a href="{{ link }}">{{ label }}</a></p>'
        '{% if show %}<div data-block="footer">Pied</div>{% endif %}'
        '<div data-block="reassurance">Nos engagements</div></body></html>'
    )
    save_message_template(template=template, subject="Essai", body=body, author=None)
    for extra in (
        {"link": "https://shop.example/a", "label": "https://shop.example/a", "show": True},
        {"link": "https://shop.example/a", "label": "", "show": False},
        {"link": "#haut", "label": "En haut", "show": True},
        {"link": "mailto:x@shop.example", "label": "Écrire", "show": False},
    ):
        blocks = rendering.current_blocks()
        context = rendering.build_context(
            template=template, customer=readers[1], event=None, extra=extra
        )
        compiled = rendering.compiled_body(body, rendering.BlockSet(blocks))
        assert compiled is not None
        full = rendering.render_in_full(body, context, blocks)
        assert compiled.render_text(context) == html_to_plain_text(full), extra


def test_a_batch_holds_back_what_marketing_pressure_holds_back_as_one_send_would(invitation):
    """Given the default pressure rules, a Tuesday at 10:00, customers solicited the evening
    before or not; when one batch sends each the invitation then an offer, then each gets
    what one send at a time gives: held by the minimum delay, or the invitation sent and the
    offer held because the invitation now counts."""
    from comptoir.consents.models import PressurePolicy
    from comptoir.consents.pressure import record_solicitation, save_pressure_policy

    PressurePolicy.objects.all().delete()  # the calm one of tests/messaging/conftest.py
    save_pressure_policy(policy=PressurePolicy())
    tuesday = timezone.make_aware(timezone.datetime(2026, 11, 24, 10, 0))
    offers = MessageTemplate.objects.get(slug="personal-offers-updated")

    def population(start: int) -> list[Customer]:
        people = email_population(4, start)
        for person in people:
            ConsentRecord.objects.create(
                customer=person,
                purpose=Purpose.MARKETING,
                channel=Channel.EMAIL,
                status=ConsentStatus.GRANTED,
                source=Source.FORM,
                collected_at=tuesday - timedelta(days=30),
            )
        for person in people[:2]:
            record_solicitation(
                customer=person, channel="email", kind="marketing", at=tuesday - timedelta(hours=14)
            )
        return people

    def outbounds(people: list[Customer]) -> list[Outbound]:
        return [
            Outbound(template=template, customer=person, dedupe_key=template.slug)
            for person in people
            for template in (invitation, offers)
        ]

    batch = send_outbound_many(outbounds(population(0)), at=tuesday)
    one_by_one = [send_outbound(outbound, at=tuesday) for outbound in outbounds(population(10))]

    def verdicts(deliveries: list[Delivery]) -> list[tuple[str, str]]:
        return [(d.status, d.refusal_reason) for d in deliveries]

    assert verdicts(batch) == verdicts(one_by_one)
    assert verdicts(batch)[:2] == [("held", "pressure_min_delay")] * 2
    assert verdicts(batch)[4:6] == [("queued", ""), ("held", "pressure_min_delay")]
