"""Reports of undelivered mail reach the delivery's own bounce address (VERP): they name the
delivery and its recipient even when they quote neither our Message-ID nor the address, are
recorded as bounces (suppression follows), and open no conversation."""

import io
import json

import pytest
from django.core.management import call_command

from comptoir.consents.models import Suppression
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation
from comptoir.customers.models import Customer, Identity
from comptoir.mail import verp
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.mail.models import InboundEmail
from comptoir.mail.outbound import EmailAdapter
from comptoir.messaging import dispatch
from comptoir.messaging.models import Bounce, Delivery, MessageTemplate
from comptoir.messaging.outgoing import outgoing_for
from comptoir.messaging.services import save_message_template
from tests.conftest import make_email

pytestmark = pytest.mark.django_db

CUSTOMER = "jeanne.martin@example.fr"


def bare_dsn(*, to: str, final_recipient: str, status: str = "5.1.1", headers: str = "") -> bytes:
    """A DSN that quotes nothing of the message it returns (no headers, no Message-ID), and
    names the address the mailbox forwarded to, as many servers' reports do."""
    return f"""From: MAILER-DAEMON@mx.forward.example (Mail Delivery System)
To: {to}
{headers}Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{abs(hash(to + final_recipient + status))}@mx.forward.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.forward.example

Final-Recipient: rfc822; {final_recipient}
Action: failed
Status: {status}
Diagnostic-Code: smtp; 550 {status} User unknown

--B--
""".replace("\n", "\r\n").encode()


@pytest.fixture
def sent_delivery(smtp_sink) -> Delivery:
    """A templated message that left over SMTP with its bounce address."""
    customer = Customer.objects.create(first_name="Jeanne")
    Identity.objects.create(customer=customer, kind="email", value=CUSTOMER)
    template = save_message_template(
        template=MessageTemplate(slug="order-confirmation"),
        subject="Votre commande",
        body='<p>Bonjour,</p><p><a href="https://www.example.com/">Suivre</a></p>',
        author=None,
        name="Confirmation",
        kind="transactional",
    )
    delivery = Delivery.objects.create(
        customer=customer,
        template=template,
        template_version=template.live_version,
        recipient=CUSTOMER,
        status=Delivery.Status.SENDING,
    )
    EmailAdapter().send(delivery, outgoing_for(delivery))
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
    return delivery


def test_a_dsn_to_the_bounce_address_names_its_delivery_without_our_message_id(
    sent_delivery, smtp_sink
):
    bounce_address = smtp_sink.received[0].envelope_from
    raw = bare_dsn(to=bounce_address, final_recipient="jeanne@forward.example")
    received = receive_raw_email(raw, source="smtp", envelope_from="", envelope_to=[bounce_address])

    assert process_inbound_email(received.inbound.pk) is None  # no message

    bounce = Bounce.objects.get()
    assert (bounce.address, bounce.kind, bounce.status) == (CUSTOMER, "hard", "5.1.1")
    assert bounce.delivery_id == sent_delivery.pk
    assert bounce.inbound_email_id == received.inbound.pk
    assert Delivery.objects.get(pk=sent_delivery.pk).status == Delivery.Status.BOUNCED
    assert Suppression.objects.get(value=CUSTOMER).reason == Suppression.Reason.HARD_BOUNCE
    # Nothing opened in the inbox; the report is kept, raw, processed.
    assert Conversation.objects.count() == 0
    inbound = InboundEmail.objects.get(pk=received.inbound.pk)
    assert inbound.status == InboundEmail.Status.PROCESSED and bytes(inbound.raw) == raw


def test_a_report_read_without_envelope_finds_the_bounce_address_in_its_headers(sent_delivery):
    # Read from IMAP or a file: no envelope; the delivery agent's Delivered-To remains.
    address = verp.bounce_address(sent_delivery.pk)
    raw = bare_dsn(
        to="Postmaster <postmaster@shop.example>",
        final_recipient="",
        status="4.2.2",
        headers=f"Delivered-To: {address}\n",
    )
    process_inbound_email(receive_raw_email(raw, source="imap:bounces").inbound.pk)
    bounce = Bounce.objects.get()
    assert (bounce.address, bounce.kind, bounce.delivery_id) == (CUSTOMER, "soft", sent_delivery.pk)
    assert Conversation.objects.count() == 0


def test_a_forged_bounce_address_suppresses_only_what_the_report_names(sent_delivery):
    forged = verp.bounce_address(sent_delivery.pk).replace("-", "-0", 1)
    raw = bare_dsn(to=forged, final_recipient="someone@else.example")
    process_inbound_email(receive_raw_email(raw, source="smtp", envelope_to=[forged]).inbound.pk)
    assert not Suppression.objects.filter(value=CUSTOMER).exists()
    assert Delivery.objects.get(pk=sent_delivery.pk).status == Delivery.Status.SENT


def test_a_bounced_reply_flags_its_conversation_and_opens_no_other(settings, agent, smtp_sink):
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    message = process_inbound_email(receive_raw_email(make_email(), source="test").inbound.pk)
    reply = conversations.reply_to_conversation(
        conversation=message.conversation, agent=agent, text="Bonjour Jeanne, voici le suivi."
    )
    delivery = reply.deliveries.get()
    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.SENT
    bounce_address = smtp_sink.received[0].envelope_from

    raw = bare_dsn(to=bounce_address, final_recipient="", status="5.1.1")
    process_inbound_email(
        receive_raw_email(raw, source="smtp", envelope_to=[bounce_address]).inbound.pk
    )

    assert Conversation.objects.count() == 1
    conversation = Conversation.objects.get()
    assert conversation.needs_attention and "not delivered" in conversation.attention_reason
    assert conversation.messages.count() == 2  # the customer's email and the reply, no report
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.BOUNCED


def test_bounce_check_names_the_recipient_of_the_bounce_address(sent_delivery, tmp_path):
    path = tmp_path / "dsn.eml"
    path.write_bytes(
        bare_dsn(to=verp.bounce_address(sent_delivery.pk), final_recipient="jeanne@forward.example")
    )
    out = io.StringIO()
    call_command("bounce_check", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue()) | {"failures": None} == {
        "is_bounce": True,
        "kind": "hard",
        "recipients": [CUSTOMER],
        "failures": None,
    }
