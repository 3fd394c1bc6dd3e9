"""Forwards of a conversation to an internal service or a team, and their answers.

An agent, or a rule calling `forward_conversation`, asks a question about a conversation.
To an internal service it goes by email, From the support address, with a Reply-To that
brings the answer back (`forward_threading`); to a team, the conversation is handed over.
The answer is an internal message of the same conversation: the customer never sees it,
and it neither reopens the conversation nor moves its SLA clock, as a customer's email would.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from comptoir.agents.models import Agent
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.customers.identities import InvalidIdentity, normalise_email
from comptoir.escalations import queries
from comptoir.escalations.forward_threading import (
    AnswerClues,
    forward_reply_address,
    new_forward_message_id,
    request_id_from_addresses,
    request_id_from_subject,
)
from comptoir.escalations.models import ForwardRequest, InternalService
from comptoir.mail.models import InboundEmail
from comptoir.mail.parsing import ParsedEmail
from comptoir.messaging import services as messaging
from comptoir.teams.models import Team

Event = ConversationEvent.Kind
Status = ForwardRequest.Status

# How many of the customer's latest messages the email to an internal service quotes.
CONTEXT_MESSAGES = 10


class ForwardError(Exception):
    """A forward that cannot be made or changed; the message is shown to the agent."""


@transaction.atomic
def forward_conversation(
    *,
    conversation: Conversation,
    to: InternalService | Team,
    question: str,
    by: Agent | None,
    due_at: datetime | None = None,
) -> ForwardRequest:
    """Ask an internal service (by email) or a team (by handing it over) about a conversation.

    `by` is the agent who asks, or None for a rule. A team forward hands the conversation
    to the team, unassigned; it returns to whoever held it when the request is answered.
    """
    if not question.strip():
        raise ForwardError("The question is empty.")
    if isinstance(to, InternalService) and not to.is_active:
        raise ForwardError("This internal service is no longer available.")
    if isinstance(to, Team):
        if to.pk == conversation.team_id and conversation.assignee_id is None:
            raise ForwardError("The conversation is already with this team.")
        waiting = queries.list_waiting_forwards(conversation)
        if waiting.filter(target=ForwardRequest.Target.TEAM).exists():
            raise ForwardError("The conversation already waits on a team.")
    forward = ForwardRequest.objects.create(
        conversation=conversation,
        customer_id=conversation.customer_id,
        requested_by=by,
        question=question,
        due_at=due_at,
        **target_fields(to),
        previous_team_id=conversation.team_id,
        previous_assignee_id=conversation.assignee_id,
    )
    if isinstance(to, InternalService):
        forward.sent_message = send_forward_email(forward)
        forward.save(update_fields=["sent_message", "updated_at"])
        if conversation.assignee_id is None and by is not None:
            # Someone must read the answer: the agent who asked.
            conversation.assignee = by
            conversation.save(update_fields=["assignee", "updated_at"])
            conversations.record_event(
                conversation=conversation, kind=Event.ASSIGNED, actor=by, assignee=by.pk
            )
    else:
        conversation.team, conversation.assignee = to, None
        conversation.save(update_fields=["team", "assignee", "updated_at"])
    conversations.record_event(
        conversation=conversation,
        kind=Event.FORWARDED,
        actor=by,
        at=forward.created_at,
        target=forward.target,
        request=forward.pk,
        **({"team": to.pk} if isinstance(to, Team) else {"internal_service": to.pk}),
    )
    return forward


def target_fields(to: InternalService | Team) -> dict[str, object]:
    if isinstance(to, InternalService):
        return {
            "target": ForwardRequest.Target.INTERNAL_SERVICE,
            "internal_service": to,
            "recipient": to.email.lower(),
        }
    return {"target": ForwardRequest.Target.TEAM, "team": to}


def send_forward_email(forward: ForwardRequest) -> Message:
    """Write the email to the internal service and queue its delivery; return it.

    It is kept in the conversation as an internal message, so agents see what was sent.
    Written in the company's language: the reader is a colleague, not the customer.
    """
    conversation = forward.conversation
    customer_messages = list(
        conversation.messages.filter(direction=Message.Direction.INBOUND).order_by(
            "-created_at", "-pk"
        )[:CONTEXT_MESSAGES]
    )[::-1]
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Question from customer service %(reference)s: %(subject)s") % {
            "reference": forward.reference,
            "subject": conversation.subject or gettext("(no subject)"),
        }
        text = render_to_string(
            "escalations/forward_email.txt",
            {
                "forward": forward,
                "conversation": conversation,
                "customer": conversation.customer,
                "customer_messages": customer_messages,
            },
        )
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.INTERNAL,
        author=forward.requested_by,
        subject=subject[:998],
        from_address=settings.COMPTOIR_SUPPORT_ADDRESS,
        from_name=settings.COMPTOIR_SUPPORT_NAME,
        to=[forward.recipient],
        reply_to=[forward_reply_address(forward.pk)],
        message_id=new_forward_message_id(),
        text=text,
    )
    messaging.queue_delivery(message=message, recipient=forward.recipient)
    return message


@transaction.atomic
def answer_forward_request(*, forward: ForwardRequest, agent: Agent, text: str) -> Message:
    """Record an agent's answer to a request (a team's answer, or a service's by phone)."""
    if not text.strip():
        raise ForwardError("The answer is empty.")
    if not forward.is_waiting:
        raise ForwardError("This request is no longer waiting for an answer.")
    note = Message.objects.create(
        conversation=forward.conversation,
        direction=Message.Direction.INTERNAL,
        author=agent,
        text=text,
    )
    if not close_forward_request(forward, answer=note, by=agent):
        raise ForwardError("This request is no longer waiting for an answer.")
    return note


@transaction.atomic
def cancel_forward_request(*, forward: ForwardRequest, agent: Agent | None) -> bool:
    """Withdraw a waiting request; return False if it was already answered or cancelled."""
    return close_forward_request(forward, answer=None, by=agent)


def close_forward_request(
    forward: ForwardRequest, *, answer: Message | None, by: Agent | None
) -> bool:
    """Mark a waiting request answered (with `answer`) or cancelled (without); a team
    forward hands the conversation back. False when it was no longer waiting.

    The conditional update makes an answer and a cancellation at once close it only once.
    """
    now = timezone.now()
    if answer is not None:
        closed = {
            "status": Status.ANSWERED,
            "answer": answer,
            "answered_by": by,
            "answered_at": now,
        }
    else:
        closed = {"status": Status.CANCELLED, "cancelled_by": by, "cancelled_at": now}
    updated = ForwardRequest.objects.filter(pk=forward.pk, status=Status.WAITING).update(
        updated_at=now, **closed
    )
    if updated != 1:
        return False
    for field, value in closed.items():
        setattr(forward, field, value)
    if answer is not None:
        conversations.record_event(
            conversation=forward.conversation,
            kind=Event.FORWARD_ANSWERED,
            actor=by,
            at=now,
            target=forward.target,
            request=forward.pk,
        )
    if forward.target == ForwardRequest.Target.TEAM:
        hand_back(forward, by=by)
    return True


def hand_back(forward: ForwardRequest, *, by: Agent | None) -> None:
    """Give a conversation back to the team and agent that forwarded it to another team."""
    conversation = Conversation.objects.select_for_update().get(pk=forward.conversation_id)
    conversation.team_id = forward.previous_team_id
    conversation.assignee_id = forward.previous_assignee_id or forward.requested_by_id
    conversation.save(update_fields=["team", "assignee", "updated_at"])
    forward.conversation = conversation
    conversations.record_event(
        conversation=conversation,
        kind=Event.ASSIGNED,
        actor=by,
        assignee=conversation.assignee_id,
        team=conversation.team_id,
        handed_back_by_request=forward.pk,
    )


def mark_answer_read(*, forward: ForwardRequest) -> None:
    """Take an answered request off the list of answers to read."""
    if forward.answer_read_at is None:
        forward.answer_read_at = timezone.now()
        forward.save(update_fields=["answer_read_at", "updated_at"])


def store_forward_answers(
    emails: list[tuple[InboundEmail, ParsedEmail]],
) -> list[Message | None]:
    """Store the inbound emails that answer a forward request, in the caller's transaction.

    Returns, for each email, its internal message, or None when it is not such an answer
    (the caller then stores it as a customer's email). The sender never becomes a customer.
    """
    clues = [answer_clues(inbound, parsed) for inbound, parsed in emails]
    if not any(c.may_answer_a_forward for c in clues):
        return [None] * len(emails)
    by_message_id, by_id = queries.find_forwards_answered_by(clues)
    answers: list[Message | None] = []
    for (inbound, parsed), email_clues in zip(emails, clues):
        forward = match_forward(email_clues, by_message_id, by_id)
        answers.append(store_forward_answer(forward, inbound, parsed) if forward else None)
    return answers


def answer_clues(inbound: InboundEmail, parsed: ParsedEmail) -> AnswerClues:
    try:
        sender = normalise_email(parsed.from_address)
    except InvalidIdentity:
        sender = ""
    return AnswerClues(
        message_ids=[m for m in [parsed.in_reply_to, *reversed(parsed.references)] if m],
        recipient_addresses=[*parsed.to, *parsed.cc, *inbound.envelope_to],
        subject=parsed.subject,
        sender=sender,
    )


def match_forward(
    clues: AnswerClues,
    by_message_id: dict[str, ForwardRequest],
    by_id: dict[int, ForwardRequest],
) -> ForwardRequest | None:
    for message_id in clues.forward_message_ids:
        if message_id in by_message_id:
            return by_message_id[message_id]
    by_token = by_id.get(request_id_from_addresses(clues.recipient_addresses) or 0)
    if by_token:
        return by_token
    # Anyone can type "[#F12]": the subject is only trusted from the service asked.
    by_subject = by_id.get(request_id_from_subject(clues.subject) or 0)
    if by_subject and by_subject.recipient and by_subject.recipient == clues.sender:
        return by_subject
    return None


def store_forward_answer(
    forward: ForwardRequest, inbound: InboundEmail, parsed: ParsedEmail
) -> Message:
    """Keep an internal service's email as an internal message; a first human answer
    closes the request. An out-of-office reply is kept but answers nothing."""
    # mail.inbound calls this module: imported here.
    from comptoir.mail.inbound import email_fields, store_attachments

    message = Message.objects.create(
        conversation=forward.conversation,
        direction=Message.Direction.INTERNAL,
        **email_fields(inbound, parsed),
    )
    store_attachments(message, parsed)
    if not parsed.auto_submitted:
        close_forward_request(forward, answer=message, by=None)
    return message
