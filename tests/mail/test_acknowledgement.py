"""A new conversation is acknowledged, but never in a way that can feed a mail loop."""

import pytest

from comptoir.conversations.models import Message
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.messaging.models import Delivery
from tests.conftest import make_email

pytestmark = pytest.mark.django_db


def ingest(raw: bytes) -> Message:
    return process_inbound_email(receive_raw_email(raw, source="test").inbound.pk)


def acknowledgements() -> list[Message]:
    return list(Message.objects.filter(direction=Message.Direction.OUTBOUND, auto_submitted=True))


def test_new_conversation_is_acknowledged_with_its_reference_and_auto_submitted_header():
    message = ingest(make_email())
    [ack] = acknowledgements()
    assert ack.conversation == message.conversation
    assert message.conversation.reference in ack.text
    assert ack.text.startswith("Bonjour Jeanne,")
    assert Delivery.objects.get(message=ack).recipient == "jeanne.martin@example.fr"


def test_reply_in_an_existing_conversation_is_not_acknowledged_again():
    first = ingest(make_email())
    ingest(
        make_email(
            message_id="<second@example.fr>",
            headers={"In-Reply-To": f"<{first.message_id}>"},
        )
    )
    assert len(acknowledgements()) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
    ],
)
def test_automatic_mail_is_not_acknowledged(headers):
    ingest(make_email(headers=headers))
    assert acknowledgements() == []


def test_mailer_daemon_is_not_acknowledged():
    ingest(make_email(sender="Mail Delivery System <MAILER-DAEMON@mx.example.fr>"))
    assert acknowledgements() == []


def test_acknowledgements_to_one_sender_stop_at_the_hourly_limit(settings):
    settings.COMPTOIR_AUTOREPLY_PER_SENDER_PER_HOUR = 2
    for number in range(4):
        last = ingest(make_email(message_id=f"<loop-{number}@example.fr>", subject=f"Sujet {number}"))
    assert len(acknowledgements()) == 2
    last.conversation.refresh_from_db()
    assert last.conversation.needs_attention
    assert "loop" in last.conversation.attention_reason
