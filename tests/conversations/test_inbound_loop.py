"""The email loop through the services: receive, thread, answer, thread the answer back."""

import pytest
from django.core import mail

from comptoir.conversations import services
from comptoir.conversations.models import Conversation, Message
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.messaging.models import Delivery
from tests.conftest import make_email

pytestmark = pytest.mark.django_db


def ingest(raw: bytes) -> Message | None:
    received = receive_raw_email(raw, source="test")
    return process_inbound_email(received.inbound.pk)


def test_new_email_opens_a_conversation_for_a_new_customer():
    message = ingest(make_email())
    conversation = message.conversation
    assert conversation.subject == "Ma commande n'est pas arrivée"
    assert conversation.status == Conversation.Status.NEW
    assert conversation.customer.first_name == "Jeanne"
    assert conversation.customer.identities.get().value == "jeanne.martin@example.fr"


def test_same_message_id_is_stored_once():
    ingest(make_email())
    assert receive_raw_email(make_email(), source="test").created is False
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1


def test_agent_reply_threads_and_customer_answer_joins_the_conversation(
    agent, django_capture_on_commit_callbacks
):
    first = ingest(make_email())
    conversation = first.conversation
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_to_conversation(
            conversation=conversation, agent=agent, text="Bonjour"
        )
    assert reply.in_reply_to == "abc123@example.fr"
    delivery = Delivery.objects.get(message=reply)
    assert delivery.status == Delivery.Status.SENT
    sent = [m for m in mail.outbox if m.extra_headers.get("In-Reply-To")][-1]
    assert sent.extra_headers["In-Reply-To"] == "<abc123@example.fr>"
    answer = ingest(
        make_email(
            subject="Re: Ma commande",
            message_id="<def456@example.fr>",
            headers={"In-Reply-To": f"<{reply.message_id}>"},
        )
    )
    assert answer.conversation == conversation
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN


def test_auto_submitted_mail_gets_no_acknowledgement():
    ingest(make_email(headers={"Auto-Submitted": "auto-replied"}))
    assert Delivery.objects.count() == 0
