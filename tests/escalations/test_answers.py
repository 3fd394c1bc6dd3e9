"""Which inbound emails answer a forward request, and what an answer changes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.customers.models import Identity
from comptoir.escalations import services
from comptoir.escalations.forward_threading import forward_reply_address
from comptoir.escalations.models import ForwardRequest
from comptoir.mail.inbound import ingest_batch
from comptoir.mail.models import InboundEmail
from comptoir.mail.parsing import parse_email
from comptoir.messaging.models import Delivery
from tests.conftest import make_email
from tests.escalations.conftest import ingest

pytestmark = pytest.mark.django_db

Event = ConversationEvent.Kind


@pytest.fixture
def forward(conversation, agent, logistics) -> ForwardRequest:
    return services.forward_conversation(
        conversation=conversation, to=logistics, question="Où est le colis ?", by=agent
    )


def from_logistics(*, message_id: str, subject: str = "Re: votre question", **fields) -> bytes:
    return make_email(
        sender="Logistique <logistique@shop.example>",
        message_id=message_id,
        subject=subject,
        body="Parti ce matin.",
        **fields,
    )


def test_forward_queues_one_service_email_kept_as_internal_message(forward, conversation):
    sent = forward.sent_message
    assert sent.direction == Message.Direction.INTERNAL
    assert sent.to == ["logistique@shop.example"]
    assert sent.reply_to == [forward_reply_address(forward.pk)]
    # Written in the company's language, for a colleague
    assert sent.subject.startswith(f"Question du service client {forward.reference} :")
    assert "Il vous suffit de répondre à cet email" in sent.text
    delivery = Delivery.objects.get(message=sent)
    assert delivery.recipient == "logistique@shop.example"
    event = ConversationEvent.objects.get(conversation=conversation, kind=Event.FORWARDED)
    assert event.data == {
        "target": "internal_service",
        "request": forward.pk,
        "internal_service": forward.internal_service_id,
    }


def test_forward_gives_an_unassigned_conversation_to_the_agent_who_asked(
    forward, conversation, agent
):
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    assigned = ConversationEvent.objects.get(conversation=conversation, kind=Event.ASSIGNED)
    assert assigned.actor == agent and assigned.data == {"assignee": agent.pk}


def test_answer_threads_by_reply_token_alone(forward, conversation):
    answer = ingest(
        from_logistics(message_id="<a1@shop.example>", to=forward_reply_address(forward.pk))
    )

    assert answer.conversation == conversation
    assert answer.direction == Message.Direction.INTERNAL
    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.ANSWERED and forward.answer == answer


def test_a_forged_reply_token_is_not_trusted(forward):
    forged = forward_reply_address(forward.pk).replace("+f", "+f9")
    message = ingest(from_logistics(message_id="<a2@shop.example>", to=forged))

    assert message.direction == Message.Direction.INBOUND
    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.WAITING


def test_subject_reference_is_trusted_only_from_the_service_asked(forward, conversation):
    subject = f"Re: question {forward.reference}"
    stranger = ingest(
        make_email(sender="paul@example.com", subject=subject, message_id="<a3@example.com>")
    )
    assert stranger.direction == Message.Direction.INBOUND
    assert stranger.conversation != conversation

    answer = ingest(from_logistics(message_id="<a4@shop.example>", subject=subject))
    assert answer.conversation == conversation
    assert answer.direction == Message.Direction.INTERNAL


def test_an_out_of_office_reply_is_kept_but_answers_nothing(forward, conversation):
    auto = ingest(
        from_logistics(
            message_id="<ooo@shop.example>",
            to=forward_reply_address(forward.pk),
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert auto.conversation == conversation and auto.direction == Message.Direction.INTERNAL
    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.WAITING
    assert not ConversationEvent.objects.filter(kind=Event.FORWARD_ANSWERED).exists()


def test_an_answer_does_not_reopen_a_conversation_waiting_on_the_customer(forward, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.WAITING)
    ingest(from_logistics(message_id="<a5@shop.example>", to=forward_reply_address(forward.pk)))

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING
    assert not ConversationEvent.objects.filter(kind=Event.REOPENED).exists()
    assert not Identity.objects.filter(value="logistique@shop.example").exists()


def test_a_late_answer_to_a_cancelled_request_is_kept_and_it_stays_cancelled(
    forward, conversation, agent
):
    assert services.cancel_forward_request(forward=forward, agent=agent)
    late = ingest(
        from_logistics(message_id="<a6@shop.example>", to=forward_reply_address(forward.pk))
    )

    assert late.conversation == conversation and late.direction == Message.Direction.INTERNAL
    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.CANCELLED


def test_an_imported_batch_sorts_service_answers_from_customer_emails(forward, conversation):
    customer_email = make_email(sender="paul@example.com", message_id="<b1@example.com>")
    answer = from_logistics(
        message_id="<b2@shop.example>",
        headers={"In-Reply-To": f"<{forward.sent_message.message_id}>"},
    )

    assert ingest_batch([customer_email, answer], source="import") == [True, True]

    internal = Message.objects.get(message_id="b2@shop.example")
    assert internal.conversation == conversation
    assert internal.direction == Message.Direction.INTERNAL
    paul = Message.objects.get(message_id="b1@example.com")
    assert paul.direction == Message.Direction.INBOUND and paul.conversation != conversation
    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.ANSWERED


def test_a_rule_can_forward_without_an_agent(conversation, logistics):
    due = timezone.now() + timedelta(hours=4)
    forward = services.forward_conversation(
        conversation=conversation, to=logistics, question="Stock ?", by=None, due_at=due
    )
    assert forward.requested_by is None and forward.due_at == due
    event = ConversationEvent.objects.get(kind=Event.FORWARDED)
    assert event.actor is None
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_an_inactive_internal_service_cannot_be_asked(conversation, logistics, agent):
    logistics.is_active = False
    logistics.save()
    with pytest.raises(services.ForwardError):
        services.forward_conversation(
            conversation=conversation, to=logistics, question="?", by=agent
        )
    assert not ForwardRequest.objects.exists()


def test_an_empty_question_is_refused(conversation, logistics, agent):
    with pytest.raises(services.ForwardError):
        services.forward_conversation(
            conversation=conversation, to=logistics, question=" ", by=agent
        )


def test_a_customer_email_costs_no_query_to_the_forward_check(django_assert_num_queries):
    parsed = parse_email(
        make_email(headers={"In-Reply-To": "<x@example.fr>", "References": "<y@example.fr>"})
    )
    inbound = InboundEmail(envelope_to=["support+c1-0123456789@shop.example"])

    with django_assert_num_queries(0):
        assert services.store_forward_answers([(inbound, parsed)]) == [None]
