"""What comes back from a send: bounces and complaints are recognised, recorded, and the
suppression list follows; the agent learns that a reply did not arrive."""

import json
import subprocess

import pytest

from comptoir.consents.models import ConsentRecord, ConsentStatus, Suppression
from comptoir.conversations import services
from comptoir.conversations.models import Conversation, Message
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.messaging.bounces import BounceKind, classify_message
from comptoir.messaging.models import Bounce, Delivery
from tests.comptoir_process import COMPTOIR
from tests.conftest import make_email

pytestmark = pytest.mark.django_db

CUSTOMER = "jeanne.martin@example.fr"


def dsn(
    *, recipient: str, status: str, diagnostic: str, returned_id: str, action: str = "failed"
) -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464)."""
    return f"""From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)
To: support@shop.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{status}-{abs(hash(diagnostic))}-{returned_id}@mx.shop.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.shop.example

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--B
Content-Type: text/rfc822-headers

From: Service client <support@shop.example>
To: {recipient}
Subject: Re: Ma commande
Message-ID: <{returned_id}>

--B--
""".replace("\n", "\r\n").encode()


def complaint(*, recipient: str, returned_id: str) -> bytes:
    """An abuse feedback report (RFC 5965) from a mailbox provider."""
    return f"""From: feedbackloop@provider.example
To: abuse@shop.example
Subject: FW: Re: Nos offres
Message-ID: <arf-1@provider.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="A"

--A
Content-Type: text/plain

This is an email abuse report.

--A
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ProviderFBL/1.0
Version: 1
Original-Rcpt-To: {recipient}

--A
Content-Type: message/rfc822

From: Service client <support@shop.example>
To: {recipient}
Subject: Nos offres
Message-ID: <{returned_id}>

Bonjour
--A--
""".replace("\n", "\r\n").encode()


def ingest(raw: bytes) -> Message | None:
    return process_inbound_email(receive_raw_email(raw, source="test").inbound.pk)


# --- Recognising a report ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "diagnostic", "kind"),
    [
        (
            "5.1.1",
            "550 5.1.1 <jeanne.martin@example.fr>: Recipient address rejected: User unknown",
            "hard",
        ),
        ("5.0.0", "550 Unknown user jeanne.martin@example.fr", "hard"),
        ("5.4.4", "Host or domain name not found. Name service error", "hard"),
        ("5.2.2", "552 5.2.2 Mailbox full: quota exceeded", "soft"),
        ("5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering", "soft"),
        ("4.4.1", "Connection timed out", "soft"),
    ],
)
def test_a_dsn_is_hard_only_when_the_address_does_not_exist(status, diagnostic, kind):
    report = classify_message(
        dsn(recipient=CUSTOMER, status=status, diagnostic=diagnostic, returned_id="r1@shop.example")
    )
    assert report.is_bounce and report.kind == kind
    assert report.recipients == [CUSTOMER]
    assert report.returned_message_id == "r1@shop.example"


def test_a_delivery_report_is_not_a_bounce():
    report = classify_message(
        dsn(
            recipient=CUSTOMER,
            status="2.0.0",
            diagnostic="250 OK",
            returned_id="r",
            action="delivered",
        )
    )
    assert not report.is_bounce and report.kind == BounceKind.NONE


def test_a_free_form_bounce_names_its_recipient():
    raw = b"""From: MAILER-DAEMON@old.example
To: support@shop.example
Subject: failure notice

Hi. This is the qmail-send program at old.example.
I'm afraid I wasn't able to deliver your message to the following addresses.

<paul.durand@old.example>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Message-ID: <r2@shop.example>
To: paul.durand@old.example
"""
    report = classify_message(raw)
    assert report.kind == BounceKind.HARD
    assert report.recipients == ["paul.durand@old.example"]
    assert report.returned_message_id == "r2@shop.example"


def test_a_feedback_report_is_a_complaint_naming_who_complained():
    report = classify_message(complaint(recipient=CUSTOMER, returned_id="m@shop.example"))
    assert report.kind == BounceKind.COMPLAINT and not report.is_bounce
    assert report.recipients == [CUSTOMER]


def test_an_out_of_office_is_an_auto_reply_and_a_customer_email_is_nothing():
    away = make_email(
        subject="Réponse automatique : absent", headers={"Auto-Submitted": "auto-replied"}
    )
    assert classify_message(away).kind == BounceKind.AUTO_REPLY
    assert classify_message(make_email()).kind == BounceKind.NONE


def test_bounce_check_command_prints_the_contract(tmp_path):
    path = tmp_path / "dsn.eml"
    path.write_bytes(
        dsn(recipient=CUSTOMER, status="5.1.1", diagnostic="User unknown", returned_id="x")
    )
    done = subprocess.run(
        [COMPTOIR, "bounce-check", str(path), "--json"], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout)
    assert {k: result[k] for k in ("is_bounce", "kind", "recipients")} == {
        "is_bounce": True,
        "kind": "hard",
        "recipients": [CUSTOMER],
    }


# --- What a report changes -----------------------------------------------------------------


@pytest.fixture
def replied(settings, agent, django_capture_on_commit_callbacks) -> Message:
    """A customer wrote; the agent's reply left through the outbound path."""
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = False
    conversation = ingest(make_email()).conversation
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_to_conversation(
            conversation=conversation, agent=agent, text="Bonjour Jeanne, voici le suivi."
        )
    assert reply.deliveries.get().status == Delivery.Status.SENT
    return reply


def test_a_hard_bounce_of_a_reply_suppresses_the_address_and_flags_the_conversation(replied):
    ingest(
        dsn(
            recipient=CUSTOMER,
            status="5.1.1",
            diagnostic="User unknown",
            returned_id=replied.message_id,
        )
    )

    bounce = Bounce.objects.get()
    assert (bounce.address, bounce.kind, bounce.status) == (CUSTOMER, "hard", "5.1.1")
    assert bounce.customer == replied.conversation.customer
    assert bounce.delivery.status == Delivery.Status.BOUNCED
    assert Suppression.objects.get(value=CUSTOMER).reason == Suppression.Reason.HARD_BOUNCE
    conversation = Conversation.objects.get(pk=replied.conversation_id)
    assert conversation.needs_attention
    assert (
        "not delivered" in conversation.attention_reason
        and "5.1.1" in conversation.attention_reason
    )


def test_the_next_reply_to_a_hard_bounced_address_is_refused(replied, agent):
    ingest(
        dsn(
            recipient=CUSTOMER,
            status="5.1.1",
            diagnostic="User unknown",
            returned_id=replied.message_id,
        )
    )
    again = services.reply_to_conversation(
        conversation=replied.conversation, agent=agent, text="Avez-vous reçu notre réponse ?"
    )
    delivery = again.deliveries.get()
    assert delivery.status == Delivery.Status.REFUSED
    assert delivery.refusal_reason == "suppressed_hard_bounce"


def test_the_same_report_processed_twice_is_recorded_once(replied):
    raw = dsn(
        recipient=CUSTOMER,
        status="5.1.1",
        diagnostic="User unknown",
        returned_id=replied.message_id,
    )
    ingest(raw)
    ingest(raw)
    assert Bounce.objects.count() == 1


def test_soft_bounces_suppress_only_when_they_repeat(replied):
    for n in range(3):
        ingest(
            dsn(
                recipient=CUSTOMER,
                status="4.2.2",
                diagnostic=f"Mailbox full ({n})",
                returned_id=replied.message_id,
            )
        )
        suppressed = Suppression.objects.filter(value=CUSTOMER).exists()
        assert suppressed == (n == 2)
    assert Suppression.objects.get(value=CUSTOMER).reason == Suppression.Reason.SOFT_BOUNCES
    assert Bounce.objects.filter(kind="soft").count() == 3


def test_a_complaint_suppresses_and_withdraws_marketing_consent(replied):
    ingest(complaint(recipient=CUSTOMER, returned_id=replied.message_id))

    assert Suppression.objects.get(value=CUSTOMER).reason == Suppression.Reason.COMPLAINT
    withdrawals = ConsentRecord.objects.filter(
        customer=replied.conversation.customer, status=ConsentStatus.WITHDRAWN
    )
    assert withdrawals.exists()
    assert {r.source for r in withdrawals} == {"complaint"}
    # A complaint is not a failed delivery: the reply did arrive.
    assert replied.deliveries.get().status == Delivery.Status.SENT


def test_erasure_blanks_the_bounces_that_name_the_person(replied, admin_agent):
    from comptoir.privacy.erasure import erase_customer

    ingest(
        dsn(
            recipient=CUSTOMER,
            status="5.1.1",
            diagnostic=f"{CUSTOMER} unknown",
            returned_id=replied.message_id,
        )
    )
    erase_customer(customer=replied.conversation.customer, actor=admin_agent)
    bounce = Bounce.objects.get()
    assert CUSTOMER not in (bounce.address + bounce.diagnostic)
    assert bounce.kind == "hard"  # the statistics stay
