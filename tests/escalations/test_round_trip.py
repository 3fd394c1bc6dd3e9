"""An internal service's answer comes back by real SMTP into the conversation, for agents only.

The forward leaves through the outbound path to a real SMTP server (tests/smtp_sink.py); the
service's reply to that very email is delivered to Comptoir's own SMTP listener.
"""

import email.utils
import smtplib

import pytest
from django.urls import reverse

from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.customers.models import Identity
from comptoir.escalations import queries
from comptoir.escalations.forward_threading import forward_reply_address
from comptoir.escalations.models import ForwardRequest
from tests.conftest import make_email
from tests.mail.test_smtp_listener import RunningListener

QUESTION = "Bonjour, pouvez-vous nous dire où en est l'expédition de la commande 12345 ?"


@pytest.fixture
def listener():
    running = RunningListener()
    yield running
    running.stop()


def deliver(port: int, raw: bytes, *, sender: str, recipient: str) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, [recipient], raw)


def service_reply(forward_email, *, body: str) -> bytes:
    """The internal service answers the forward email from its mail client."""
    return make_email(
        sender="Logistique <logistique@shop.example>",
        to=forward_email["Reply-To"],
        subject=f"RE: {forward_email['Subject']}",
        message_id="<reponse-logistique-1@shop.example>",
        body=body,
        headers={
            "In-Reply-To": forward_email["Message-ID"],
            "References": forward_email["Message-ID"],
        },
    )


@pytest.mark.django_db(transaction=True)
def test_forward_by_email_and_answer_over_smtp_lands_as_internal_message(
    client, agent, logistics, smtp_sink, listener, settings
):
    # Given a customer's email received over SMTP, acknowledged to the customer
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = True
    deliver(
        listener.port,
        make_email(body="Bonjour,\n\nJ'attends toujours ma commande 12345.\n\nJeanne"),
        sender="jeanne.martin@example.fr",
        recipient="support@shop.example",
    )
    conversation = Conversation.objects.get()
    assert [r.envelope_to for r in smtp_sink.received] == [["jeanne.martin@example.fr"]]
    before = Conversation.objects.values(
        "status",
        "sla_due_at",
        "first_response_due_at",
        "resolution_due_at",
        "last_message_at",
        "first_response_at",
        "sla_paused_at",
    ).get()

    # When the agent forwards it to the logistics department
    client.force_login(agent)
    response = client.post(
        reverse("escalations:forward", args=[conversation.pk]),
        {"target": f"service:{logistics.pk}", "question": QUESTION},
    )
    assert response.status_code == 302
    forward = ForwardRequest.objects.get()

    # Then a proper email reaches the service, with the question and the customer's words
    received = smtp_sink.received[-1]
    assert received.envelope_to == ["logistique@shop.example"]
    sent = received.message
    assert email.utils.parseaddr(sent["From"]) == ("Service client", "support@shop.example")
    assert email.utils.parseaddr(sent["Reply-To"])[1] == forward_reply_address(forward.pk)
    assert sent["Message-ID"] == f"<{forward.sent_message.message_id}>"
    assert f"[#F{forward.pk}]" in sent["Subject"]
    body = sent.get_content()
    assert QUESTION in body
    assert "J'attends toujours ma commande 12345." in body
    assert forward.status == ForwardRequest.Status.WAITING
    assert queries.find_holder(conversation).name == "Logistique"

    # When the service replies to it, and the reply reaches Comptoir's SMTP listener
    deliver(
        listener.port,
        service_reply(
            sent,
            body="Le colis est reparti ce matin, livraison jeudi.\n\n"
            "De : Service client\n> " + QUESTION,
        ),
        sender="logistique@shop.example",
        recipient=email.utils.parseaddr(sent["Reply-To"])[1],
    )

    # Then the answer is an internal message of the same conversation
    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.ANSWERED
    answer = forward.answer
    assert answer.conversation_id == conversation.pk
    assert answer.direction == Message.Direction.INTERNAL
    assert answer.customer is None
    assert answer.from_address == "logistique@shop.example"
    assert "livraison jeudi" in answer.display_text
    assert conversation.messages.filter(direction=Message.Direction.INBOUND).count() == 1
    assert ConversationEvent.objects.filter(
        conversation=conversation,
        kind=ConversationEvent.Kind.FORWARD_ANSWERED,
        data__request=forward.pk,
    ).exists()
    # ... the customer is not emailed and the sender did not become a customer
    assert len(smtp_sink.received) == 2
    assert not Identity.objects.filter(value="logistique@shop.example").exists()
    # ... the customer's SLA is untouched: nothing happened as if the customer wrote
    assert Conversation.objects.values(*before).get() == before
    # ... and the agent who holds the conversation has an answer to read
    assert list(queries.list_answers_to_read(agent)) == [forward]
    page = client.get(reverse("escalations:list"))
    assert f"#forward-{forward.pk}" in page.content.decode()
