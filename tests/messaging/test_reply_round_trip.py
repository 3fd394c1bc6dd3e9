"""An agent's reply reaches a real SMTP server as a proper email, and the answer threads back."""

import email.utils

import pytest

from comptoir.conversations import services
from comptoir.conversations.models import Conversation, Message
from comptoir.conversations.reply_threading import reply_address
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from tests.conftest import make_email

pytestmark = pytest.mark.django_db


def ingest(raw: bytes) -> Message:
    return process_inbound_email(receive_raw_email(raw, source="test").inbound.pk)


@pytest.fixture
def conversation(settings) -> Conversation:
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = False
    return ingest(make_email()).conversation


def send_reply(
    conversation,
    agent,
    capture,
    text="Bonjour Jeanne,\n\nVotre colis est reparti ce matin.\n\nÉlodie",
) -> Message:
    with capture(execute=True):
        return services.reply_to_conversation(conversation=conversation, agent=agent, text=text)


def customer_answer(*, to: str, subject: str, message_id: str, headers: dict[str, str]) -> bytes:
    body = (
        "Merci beaucoup, bien reçu !\n\n"
        "Le lun. 23 nov. 2026 à 11:02, Service client <support@shop.example> a écrit :\n"
        "> Bonjour Jeanne,\n>\n> Votre colis est reparti ce matin.\n"
    )
    return make_email(to=to, subject=subject, message_id=message_id, body=body, headers=headers)


def test_reply_reaches_smtp_server_with_threading_headers_and_team_sender(
    conversation, agent, smtp_sink, django_capture_on_commit_callbacks
):
    reply = send_reply(conversation, agent, django_capture_on_commit_callbacks)

    [received] = smtp_sink.received
    sent = received.message
    assert received.envelope_to == ["jeanne.martin@example.fr"]
    assert sent["Message-ID"] == f"<{reply.message_id}>"
    assert sent["In-Reply-To"] == "<abc123@example.fr>"
    assert "<abc123@example.fr>" in sent["References"].split()
    assert email.utils.parseaddr(sent["From"]) == ("Service client", "support@shop.example")
    assert "no-reply" not in sent["From"] and "noreply" not in sent["From"]
    assert email.utils.parseaddr(sent["Reply-To"])[1] == reply_address(conversation.pk)
    assert f"[#{conversation.pk}]" in sent["Subject"]
    assert sent["Date"]
    assert "Auto-Submitted" not in sent
    assert sent.get_content_charset() == "utf-8"
    assert "Élodie" in sent.get_content()


def test_customer_answer_threads_by_in_reply_to(
    conversation, agent, smtp_sink, django_capture_on_commit_callbacks
):
    reply = send_reply(conversation, agent, django_capture_on_commit_callbacks)
    sent = smtp_sink.received[0].message

    answer = ingest(
        customer_answer(
            to=sent["Reply-To"],
            subject=f"Re: {sent['Subject']}",
            message_id="<answer-1@example.fr>",
            headers={"In-Reply-To": sent["Message-ID"], "References": sent["References"]},
        )
    )
    assert answer.conversation == conversation
    assert answer.in_reply_to == reply.message_id
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert "a écrit" not in answer.reply_text
    assert answer.reply_text.startswith("Merci beaucoup")


def test_customer_answer_without_headers_threads_by_reply_token_address(
    conversation, agent, smtp_sink, django_capture_on_commit_callbacks
):
    send_reply(conversation, agent, django_capture_on_commit_callbacks)
    sent = smtp_sink.received[0].message
    answer = ingest(
        customer_answer(
            to=sent["Reply-To"],
            subject="Toujours rien",
            message_id="<answer-2@example.fr>",
            headers={},
        )
    )
    assert answer.conversation == conversation


def test_subject_reference_threads_only_for_the_same_customer(conversation):
    same_customer = ingest(
        make_email(
            subject=f"Encore moi [#{conversation.pk}]",
            message_id="<answer-3@example.fr>",
        )
    )
    assert same_customer.conversation == conversation
    stranger = ingest(
        make_email(
            sender="Paul Bernard <paul.bernard@example.com>",
            subject=f"Question [#{conversation.pk}]",
            message_id="<answer-4@example.com>",
        )
    )
    assert stranger.conversation != conversation
