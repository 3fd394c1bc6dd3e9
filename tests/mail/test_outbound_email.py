"""What leaves over SMTP, read on the bytes a real SMTP server received: the delivery's own
bounce address as envelope sender, a DKIM signature that verifies, List-Unsubscribe never
folded inside a URL, Feedback-ID; one connection for many sends; per-domain rates."""

import base64
import email
import email.policy
import re
import smtplib
import subprocess
from collections.abc import Iterator
from datetime import timedelta

import dkim
import pytest
from django.utils import timezone

from comptoir.consents.links import one_click_url
from comptoir.conversations import services as conversations
from comptoir.customers.models import Customer, Identity
from comptoir.mail import dkim_signing, smtp_session, verp
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.mail.outbound import EmailAdapter
from comptoir.messaging import dispatch
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.outgoing import outgoing_for
from comptoir.messaging.services import save_message_template
from tests.conftest import make_email

pytestmark = pytest.mark.django_db

# Long enough that any folding mail library would want to break the URL.
LONG_PUBLIC_URL = "https://preferences.clients.une-enseigne-au-nom-assez-long.example.com/espace"


@pytest.fixture(scope="module")
def dkim_keys(tmp_path_factory) -> tuple[bytes, bytes]:
    """A fresh RSA key pair: the private PEM, and the DNS TXT record publishing it."""
    folder = tmp_path_factory.mktemp("dkim")
    private = folder / "private.pem"
    subprocess.run(["openssl", "genrsa", "-out", private, "2048"], check=True, capture_output=True)
    public_der = subprocess.run(
        ["openssl", "rsa", "-in", private, "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)
    return private.read_bytes(), record


@pytest.fixture
def dkim_on(settings, dkim_keys, tmp_path) -> bytes:
    """DKIM signing on, the key read from a file as in production; return the DNS record."""
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(dkim_keys[0])
    settings.COMPTOIR_DKIM_DOMAIN = "shop.example"
    settings.COMPTOIR_DKIM_SELECTOR = "s2026"
    settings.COMPTOIR_DKIM_PRIVATE_KEY_FILE = str(key_file)
    return dkim_keys[1]


def dns_with(record: bytes):  # noqa: ANN201
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"s2026._domainkey.shop.example." else None

    return dnsfunc


@pytest.fixture
def customer(db) -> Customer:
    jeanne = Customer.objects.create(first_name="Jeanne", last_name="Martin")
    Identity.objects.create(customer=jeanne, kind="email", value="jeanne.martin@example.fr")
    return jeanne


def templated_delivery(customer: Customer, kind: str, slug: str) -> Delivery:
    template = save_message_template(
        template=MessageTemplate(slug=slug),
        subject="{{ 'nos nouveautés'|with_first_name }}",
        body='<p>Bonjour {{ customer.first_name }},</p><p><a href="https://www.example.com/">Voir</a></p>',
        author=None,
        name=slug,
        kind=kind,
    )
    return Delivery.objects.create(
        customer=customer,
        template=template,
        template_version=template.live_version,
        channel="email",
        purpose=template.purpose,
        recipient="jeanne.martin@example.fr",
        status=Delivery.Status.SENDING,
    )


def send(delivery: Delivery) -> None:
    EmailAdapter().send(delivery, outgoing_for(delivery))


def head_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def test_the_envelope_sender_is_the_delivery_bounce_address(customer, smtp_sink):
    delivery = templated_delivery(customer, "transactional", "order-confirmation")
    send(delivery)

    [received] = smtp_sink.received
    assert received.envelope_from == verp.bounce_address(delivery.pk)
    assert re.fullmatch(r"support\+d\d+-[0-9a-f]{10}@shop\.example", received.envelope_from)
    assert verp.delivery_id_from_addresses([received.envelope_from]) == delivery.pk
    assert received.envelope_to == ["jeanne.martin@example.fr"]
    # The From stays the support address the customer can answer.
    assert received.message["From"].addresses[0].addr_spec == "support@shop.example"


def test_a_dedicated_bounce_mailbox_carries_the_tag(customer, smtp_sink, settings):
    settings.COMPTOIR_BOUNCE_ADDRESS = "bounces@mail.shop.example"
    delivery = templated_delivery(customer, "transactional", "order-confirmation")
    send(delivery)
    assert smtp_sink.received[0].envelope_from.startswith(f"bounces+d{delivery.pk}-")
    assert smtp_sink.received[0].envelope_from.endswith("@mail.shop.example")


def test_a_forged_bounce_address_names_no_delivery(customer):
    delivery = templated_delivery(customer, "transactional", "order-confirmation")
    genuine = verp.bounce_address(delivery.pk)
    forged = genuine.replace(f"+d{delivery.pk}-", f"+d{delivery.pk + 1}-")
    assert verp.delivery_id_from_addresses([forged]) is None


def test_the_received_message_carries_a_dkim_signature_that_verifies(
    customer, smtp_sink, dkim_on, settings
):
    settings.PUBLIC_URL = LONG_PUBLIC_URL
    delivery = templated_delivery(customer, "marketing", "nouveautes")
    send(delivery)

    [received] = smtp_sink.received
    assert received.raw.startswith(b"DKIM-Signature:")
    assert dkim.verify(received.raw, dnsfunc=dns_with(dkim_on))
    signed = received.message["DKIM-Signature"]
    tags = dict(
        t.strip().split("=", 1) for t in str(signed).replace("\r\n", "").split(";") if "=" in t
    )
    assert tags["d"] == "shop.example" and tags["s"] == "s2026"
    signed_headers = {h.strip().lower() for h in tags["h"].replace(" ", "").split(":")}
    # RFC 8058: one-click unsubscribe counts only when the signature covers both headers.
    assert {"from", "subject", "list-unsubscribe", "list-unsubscribe-post", "feedback-id"} <= (
        signed_headers
    )


def test_a_changed_message_fails_dkim_verification(customer, smtp_sink, dkim_on):
    delivery = templated_delivery(customer, "marketing", "nouveautes")
    send(delivery)
    tampered = smtp_sink.received[0].raw.replace(b"Subject: ", b"Subject: URGENT ", 1)
    assert not dkim.verify(tampered, dnsfunc=dns_with(dkim_on))


def test_a_long_list_unsubscribe_url_is_never_folded_inside_its_brackets(
    customer, smtp_sink, settings
):
    settings.PUBLIC_URL = LONG_PUBLIC_URL
    delivery = templated_delivery(customer, "marketing", "nouveautes")
    send(delivery)

    raw = smtp_sink.received[0].raw
    expected_url = one_click_url(customer)
    assert len(expected_url) > 78  # a line any folding library would break
    match = re.search(rb"(?im)^List-Unsubscribe:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head_of(raw))
    assert match, "List-Unsubscribe missing"
    folded_value = match.group(1).decode()
    items = re.findall(r"<[^>]*>", folded_value, flags=re.DOTALL)
    assert items[0] == f"<{expected_url}>", "the URL is whole on one line, no CRLF inside <…>"
    assert all("\r" not in item and "\n" not in item for item in items)
    assert items[1].startswith("<mailto:support@shop.example?subject=unsubscribe")
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in b"\r\n" + raw
    # And a mail client reading the header finds the same URL.
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert expected_url in str(parsed["List-Unsubscribe"])


def test_a_transactional_message_carries_no_list_unsubscribe(customer, smtp_sink):
    delivery = templated_delivery(customer, "transactional", "order-confirmation")
    send(delivery)
    message = smtp_sink.received[0].message
    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None


def test_feedback_id_names_campaign_template_kind_and_sender(customer, smtp_sink, settings):
    from comptoir.campaigns.models import Campaign

    settings.COMPTOIR_FEEDBACK_SENDER_ID = "enseigne"
    delivery = templated_delivery(customer, "marketing", "nouveautes")
    delivery.campaign = Campaign.objects.create(name="Soldes", template=delivery.template)
    delivery.save()
    send(delivery)
    feedback = smtp_sink.received[0].message["Feedback-ID"]
    assert feedback == f"c{delivery.campaign_id}:nouveautes:marketing:enseigne"


@pytest.fixture
def replies(settings, agent) -> Iterator[list[Delivery]]:
    """Three customers wrote; three agent replies are queued (not sent yet)."""
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    deliveries = []
    for number, sender in enumerate(["jeanne@example.fr", "paul@example.fr", "lea@autre.example"]):
        raw = make_email(sender=sender, message_id=f"<q{number}@example.fr>", subject=f"Q{number}")
        message = process_inbound_email(receive_raw_email(raw, source="test").inbound.pk)
        reply = conversations.reply_to_conversation(
            conversation=message.conversation, agent=agent, text="Bonjour, voici la réponse."
        )
        deliveries.append(reply.deliveries.get())
    yield deliveries
    smtp_session.close_current_session()


@pytest.fixture(params=[False, True], ids=["one command at a time", "pipelining"])
def any_smtp_sink(request, smtp_sink):
    """The SMTP sink, with and without pipelining: the session speaks both ways."""
    smtp_sink.pipelining = request.param
    return smtp_sink


class CountedWrites:
    """Counts what the SMTP client writes to its socket (a round trip each, here)."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        original = smtplib.SMTP.send

        def send(connection, data):  # noqa: ANN001, ANN202
            self.count += 1
            return original(connection, data)

        monkeypatch.setattr(smtplib.SMTP, "send", send)


def test_many_sends_share_one_smtp_connection(replies, any_smtp_sink):
    dispatch.send_due_deliveries()
    assert len(any_smtp_sink.received) == 3
    assert len({received.peer for received in any_smtp_sink.received}) == 1


def test_a_pipelining_server_gets_the_envelope_in_one_write(replies, smtp_sink, monkeypatch):
    smtp_sink.pipelining = True
    dispatch.send_delivery(replies[0].pk)  # the connection opened (EHLO)
    writes = CountedWrites(monkeypatch)
    dispatch.send_delivery(replies[1].pk)
    assert writes.count == 2  # MAIL FROM + RCPT TO + DATA, then the message
    assert [r.envelope_to for r in smtp_sink.received[1:]] == [[replies[1].recipient]]


def test_a_refused_recipient_fails_for_good_and_the_connection_goes_on(replies, any_smtp_sink):
    refused = replies[0].recipient
    any_smtp_sink.refused_recipients[refused] = "550 5.1.1 No such user"
    assert dispatch.send_delivery(replies[0].pk) == Delivery.Status.FAILED
    assert "550" in Delivery.objects.get(pk=replies[0].pk).last_error
    assert dispatch.send_delivery(replies[1].pk) == Delivery.Status.SENT
    assert dispatch.send_delivery(replies[2].pk) == Delivery.Status.SENT
    assert [r.envelope_to for r in any_smtp_sink.received] == [
        [replies[1].recipient],
        [replies[2].recipient],
    ]
    assert len({received.peer for received in any_smtp_sink.received}) == 1


def test_a_connection_the_server_closed_is_reopened_and_the_message_sent_once(
    replies, any_smtp_sink
):
    smtp_sink = any_smtp_sink
    dispatch.send_delivery(replies[0].pk)
    # The server restarts: the connection kept open is now dead.
    smtp_sink.restart()
    assert dispatch.send_delivery(replies[1].pk) == Delivery.Status.SENT
    assert len(smtp_sink.received) == 2
    assert smtp_sink.received[0].peer != smtp_sink.received[1].peer
    assert Delivery.objects.get(pk=replies[1].pk).attempts == 1


def test_a_connection_broken_after_the_data_leaves_the_delivery_unconfirmed_never_resent(
    replies, any_smtp_sink
):
    smtp_sink = any_smtp_sink
    smtp_sink.fail_next(1, "DROP")  # the server keeps the message, then the line dies
    assert dispatch.send_delivery(replies[0].pk) == Delivery.Status.UNCONFIRMED
    delivery = Delivery.objects.get(pk=replies[0].pk)
    assert "after the message was sent" in delivery.last_error
    dispatch.send_due_deliveries()
    received_for_jeanne = [r for r in smtp_sink.received if r.envelope_to == [delivery.recipient]]
    assert len(received_for_jeanne) == 1  # the other replies went; this one once


def statuses(deliveries: list[Delivery]) -> list[str]:
    return [Delivery.objects.get(pk=d.pk).status for d in deliveries]


def test_in_a_batch_a_refused_message_fails_alone_the_others_leave(replies, any_smtp_sink):
    any_smtp_sink.fail_next(1, "550 5.6.0 Content rejected")  # the first message's data
    counts = dispatch.send_deliveries([d.pk for d in replies])
    assert counts == {Delivery.Status.FAILED: 1, Delivery.Status.SENT: 2}
    assert statuses(replies) == [Delivery.Status.FAILED] + [Delivery.Status.SENT] * 2
    assert "550" in Delivery.objects.get(pk=replies[0].pk).last_error
    assert len(any_smtp_sink.received) == 2


def test_in_a_batch_a_message_the_server_defers_is_queued_for_a_retry(replies, any_smtp_sink):
    any_smtp_sink.fail_next(1)  # 451
    dispatch.send_deliveries([d.pk for d in replies])
    first = Delivery.objects.get(pk=replies[0].pk)
    assert (first.status, first.attempts) == (Delivery.Status.QUEUED, 1)
    assert first.next_attempt_at is not None
    assert statuses(replies[1:]) == [Delivery.Status.SENT] * 2


def test_in_a_batch_a_line_broken_after_a_message_leaves_it_unconfirmed_and_the_next_goes_once(
    replies, any_smtp_sink
):
    any_smtp_sink.fail_next(1, "DROP")  # keeps the first message, then the line dies
    dispatch.send_deliveries([d.pk for d in replies])
    assert statuses(replies) == [Delivery.Status.UNCONFIRMED] + [Delivery.Status.SENT] * 2
    got = [r.envelope_to for r in any_smtp_sink.received]
    assert got == [[d.recipient] for d in replies]  # each once, the first included
    dispatch.send_due_deliveries()
    assert len(any_smtp_sink.received) == 3


def test_an_unconfirmed_delivery_a_person_resends_leaves_again(replies, smtp_sink):
    from comptoir.messaging.services import resend_unconfirmed_deliveries

    Delivery.objects.filter(pk=replies[0].pk).update(status=Delivery.Status.UNCONFIRMED)
    assert resend_unconfirmed_deliveries(delivery_ids=[replies[0].pk]) == 1
    assert dispatch.send_delivery(replies[0].pk) == Delivery.Status.SENT


def test_a_domain_over_its_rate_is_put_back_without_counting_an_attempt(
    replies, smtp_sink, settings
):
    settings.COMPTOIR_DOMAIN_RATES = "example.fr=1/m, *=100/s"
    dispatch.send_due_deliveries()

    by_recipient = {d.recipient: Delivery.objects.get(pk=d.pk) for d in replies}
    statuses = sorted(by_recipient[a].status for a in ("jeanne@example.fr", "paul@example.fr"))
    assert statuses == [Delivery.Status.QUEUED, Delivery.Status.SENT]
    held = next(d for d in by_recipient.values() if d.status == Delivery.Status.QUEUED)
    assert held.attempts == 0
    assert timezone.now() < held.next_attempt_at <= timezone.now() + timedelta(seconds=60)
    # Another domain has its own count.
    assert by_recipient["lea@autre.example"].status == Delivery.Status.SENT
    assert len(smtp_sink.received) == 2

    # Its window passed, it goes.
    Delivery.objects.filter(pk=held.pk).update(next_attempt_at=timezone.now())
    from django.core.cache import cache

    cache.clear()
    assert dispatch.send_delivery(held.pk) == Delivery.Status.SENT
    assert Delivery.objects.get(pk=held.pk).attempts == 1


def test_a_malformed_rate_is_a_configuration_error(settings, replies):
    from django.core.exceptions import ImproperlyConfigured

    settings.COMPTOIR_DOMAIN_RATES = "gmail.com=vite"
    with pytest.raises(ImproperlyConfigured):
        dispatch.send_delivery(replies[0].pk)


def test_dkim_without_a_key_is_a_configuration_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.COMPTOIR_DKIM_DOMAIN = "shop.example"
    settings.COMPTOIR_DKIM_SELECTOR = "s2026"
    with pytest.raises(ImproperlyConfigured):
        dkim_signing.configured_key()


def test_french_subject_names_and_text_read_back_whole(customer, smtp_sink, settings):
    settings.COMPTOIR_SUPPORT_NAME = "Service client — Comptoir Lyon"
    settings.COMPTOIR_TRACKING = False  # links read back as written
    delivery = templated_delivery(customer, "transactional", "order-confirmation")
    delivery.template.live_version.subject = "Votre commande n° 12345 est expédiée, à très vite !"
    delivery.template.live_version.save()
    send(delivery)

    message = smtp_sink.received[0].message
    assert message["Subject"] == "Votre commande n° 12345 est expédiée, à très vite !"
    assert message["From"].addresses[0].display_name == "Service client — Comptoir Lyon"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Bonjour" in text and "https://www.example.com/" in html
    assert all(len(line) <= 998 for line in smtp_sink.received[0].raw.split(b"\r\n"))
