"""Ready answers in action: render a canned response, apply a macro, answer automatically.

Every change to a conversation goes through comptoir.conversations.services, so that its
audit trail records it; the macro or the rule that caused it is recorded beside, as a
`macro_applied` or `auto_answered` event.

Outbound quality control (issue 4) is not built yet: its gate belongs where a text is about
to be sent, in apply_macro (SEND) and answer_conversation, before the send call.
"""

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.answers import placeholders, queries
from comptoir.answers.models import AutoAnswer, AutoAnswerRule, CannedResponse, Macro
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.mail import acknowledgement
from comptoir.mail.models import AutoReplyLog
from comptoir.sorting import queries as sorting
from comptoir.sorting.classifier import fold
from comptoir.teams.models import Team

logger = logging.getLogger("comptoir.answers")
Event = ConversationEvent.Kind


class AnswerError(Exception):
    """A ready answer that cannot be used; the message is shown to the agent."""


def render_canned_response(
    *, response: CannedResponse, conversation: Conversation, agent: Agent | None
) -> str:
    """Return the response's text for this conversation, its placeholders filled."""
    return placeholders.fill(response.body, placeholders.values_for(conversation, agent))


@dataclass
class MacroResult:
    """What a macro did; `reply_text` is the text to put in the reply box, if any."""

    reply_text: str = ""
    sent: Message | None = None
    note: Message | None = None


@transaction.atomic
def apply_macro(*, macro: Macro, conversation: Conversation, agent: Agent) -> MacroResult:
    """Apply every action of the macro to the conversation, in an order that keeps each
    one's effect: tags and team, the note, the reply (which sets "waiting on customer"),
    then the macro's own status last so that it wins."""
    result = MacroResult()
    added = [tag.pk for tag in macro.tags_to_add.all()]
    removed = [tag.pk for tag in macro.tags_to_remove.all()]
    if added:
        conversation.tags.add(*added)
    if removed:
        conversation.tags.remove(*removed)
    if macro.move_to_team_id and macro.move_to_team_id != conversation.team_id:
        move_to_team(conversation=conversation, team=macro.move_to_team, by=agent)
    values = placeholders.values_for(conversation, agent)
    if macro.note.strip():
        result.note = conversations.add_note(
            conversation=conversation, agent=agent, text=placeholders.fill(macro.note, values)
        )
    if macro.canned_response is not None:
        text = placeholders.fill(macro.canned_response.body, values)
        if macro.response_action == Macro.ResponseAction.SEND:
            try:
                result.sent = conversations.reply_to_conversation(
                    conversation=conversation, agent=agent, text=text
                )
            except conversations.ConversationError as error:
                raise AnswerError(str(error)) from error
        else:
            result.reply_text = text
    if macro.set_status:
        conversations.change_status(conversation=conversation, status=macro.set_status, by=agent)
    conversations.record_event(
        conversation=conversation,
        kind=Event.MACRO_APPLIED,
        actor=agent,
        macro=macro.pk,
        tags_added=added,
        tags_removed=removed,
        canned_response=macro.canned_response_id,
        sent=result.sent.pk if result.sent else None,
    )
    return result


def move_to_team(*, conversation: Conversation, team: Team, by: Agent | None) -> None:
    """Hand the conversation to another team; its due times stay those promised."""
    conversation.team = team
    conversation.save(update_fields=["team", "updated_at"])
    conversations.record_event(conversation=conversation, kind=Event.ROUTED, actor=by, team=team.pk)


@transaction.atomic
def take_over_conversation(*, conversation: Conversation, agent: Agent) -> None:
    """An agent takes an automatically answered conversation back: theirs, and open."""
    if conversation.assignee_id != agent.pk:
        conversations.assign_conversation(conversation=conversation, assignee=agent, by=agent)
    conversations.change_status(
        conversation=conversation, status=Conversation.Status.OPEN, by=agent
    )


# --- Automatic answers ------------------------------------------------------------------


def answer_new_conversations(conversation_ids: list[int]) -> int:
    """Send the automatic answer of each conversation a rule matches; return how many.

    Called after classification. One conversation's failure is logged and does not stop
    the others: their classification is already saved, and a human still sees them.
    """
    if not conversation_ids or not queries.list_active_rules().exists():
        return 0
    answered = 0
    for conversation_id in conversation_ids:
        try:
            if answer_conversation(conversation_id) is not None:
                answered += 1
        except Exception:
            logger.exception("automatic answer failed for conversation %s", conversation_id)
    return answered


def may_answer_automatically(conversation: Conversation, request: Message | None) -> bool:
    """Only a new request nobody has handled, from a person, by email, gets one."""
    return (
        request is not None
        and not request.auto_submitted
        and bool(request.from_address)
        and conversation.channel == Conversation.Channel.EMAIL
        and conversation.status == Conversation.Status.NEW
        and conversation.assignee_id is None
        and not conversation.messages.filter(
            direction=Message.Direction.OUTBOUND, author__isnull=False
        ).exists()
    )


def find_matching_rule(conversation: Conversation, request: Message) -> AutoAnswerRule | None:
    """Return the first active rule whose conditions all hold for this request."""
    classification = sorting.find_classification(conversation)
    category = classification.category if classification else ""
    text = fold(f"{conversation.subject}\n{request.reply_text or request.text}")
    segments: set[int] | None = None
    for rule in queries.list_active_rules():
        if rule.category and rule.category != category:
            continue
        keywords = rule.keyword_list
        if keywords and not any(fold(word) in text for word in keywords):
            continue
        if rule.segment_id:
            if segments is None:
                segments = set(conversation.customer.segments.values_list("pk", flat=True))
            if rule.segment_id not in segments:
                continue
        return rule
    return None


@transaction.atomic
def answer_conversation(conversation_id: int) -> AutoAnswer | None:
    """Send the canned response of the first matching rule, at most once per conversation.

    The AutoAnswer row is written first: its unique conversation makes a retried or
    concurrent call fail there, before anything is sent. The conversation then waits on
    the customer, unassigned: a reply from the customer reopens it for a human. The first
    response stays unset: the SLA promises a human answer, and its clock is paused while
    the conversation waits on the customer.
    """
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer__store")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None or AutoAnswer.objects.filter(conversation=conversation).exists():
        return None
    request = (
        conversation.messages.filter(direction=Message.Direction.INBOUND)
        .order_by("created_at", "pk")
        .first()
    )
    if not may_answer_automatically(conversation, request):
        return None
    assert request is not None
    rule = find_matching_rule(conversation, request)
    if rule is None:
        return None
    # The acknowledgement's guard against mail loops: a sender that got too many automatic
    # answers this hour gets a human one instead.
    if not acknowledgement.may_auto_reply(request.from_address):
        return None
    try:
        with transaction.atomic():
            auto_answer = AutoAnswer.objects.create(
                conversation=conversation, rule=rule, answered_at=timezone.now()
            )
    except IntegrityError:
        return None  # answered by another worker in the meantime
    text = render_canned_response(
        response=rule.canned_response, conversation=conversation, agent=None
    )
    AutoReplyLog.objects.create(address=request.from_address.lower())
    # An automatic reply in the RFC 3834 sense: Auto-Submitted keeps robots from answering.
    message = conversations.send_email_message(
        conversation=conversation, text=text, author=None, auto_submitted=True, answering=request
    )
    auto_answer.message = message
    auto_answer.save(update_fields=["message"])
    conversations.change_status(conversation=conversation, status=Conversation.Status.WAITING)
    conversations.record_event(
        conversation=conversation,
        kind=Event.AUTO_ANSWERED,
        rule=rule.pk,
        canned_response=rule.canned_response_id,
        message=message.pk,
    )
    return auto_answer
