"""Reads of forward requests: a conversation's, the open ones, the answers to read."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from comptoir.agents.models import Agent
from comptoir.conversations.models import Conversation, ConversationEvent
from comptoir.conversations import queries as conversation_queries
from comptoir.escalations.forward_threading import AnswerClues
from comptoir.escalations.models import ForwardRequest, InternalService
from comptoir.teams.models import Team

Event = ConversationEvent.Kind

# The events after which someone else holds the conversation; a forward to an internal
# service leaves it with its agent, who reads the answer.
HANDOVER_EVENTS = Q(kind__in=[Event.ASSIGNED, Event.ROUTED]) | Q(
    kind=Event.FORWARDED, data__target=ForwardRequest.Target.TEAM
)


def list_forwards(conversation: Conversation) -> QuerySet[ForwardRequest]:
    """Return every forward request of a conversation, newest first."""
    return conversation.forward_requests.select_related(
        "requested_by", "internal_service", "team", "answered_by", "cancelled_by"
    ).order_by("-created_at", "-pk")


def list_waiting_forwards(conversation: Conversation) -> QuerySet[ForwardRequest]:
    return conversation.forward_requests.filter(status=ForwardRequest.Status.WAITING)


def list_open_forwards(agent: Agent) -> QuerySet[ForwardRequest]:
    """Return the requests still waiting for an answer, the oldest first, among the
    conversations this agent may open."""
    return (
        ForwardRequest.objects.filter(
            status=ForwardRequest.Status.WAITING,
            conversation__in=conversation_queries.visible_conversations(agent),
        )
        .select_related("conversation__customer", "requested_by", "internal_service", "team")
        .order_by("created_at", "pk")
    )


def list_answers_to_read(agent: Agent) -> QuerySet[ForwardRequest]:
    """Return the answered requests this agent has not read: those of the conversations
    they hold, or that they asked and nobody holds."""
    return (
        ForwardRequest.objects.filter(
            status=ForwardRequest.Status.ANSWERED,
            answer_read_at__isnull=True,
            conversation__in=conversation_queries.visible_conversations(agent),
        )
        .filter(
            Q(conversation__assignee=agent)
            | Q(requested_by=agent, conversation__assignee__isnull=True)
        )
        .select_related("conversation__customer", "internal_service", "team", "answered_by")
        .order_by("answered_at", "pk")
    )


def get_forward(pk: int, *, agent: Agent) -> ForwardRequest:
    """Return one forward request of a conversation the agent may see; raise Http404 if
    it is missing or hidden from this agent."""
    visible = conversation_queries.visible_conversations(agent)
    return get_object_or_404(
        ForwardRequest.objects.filter(conversation__in=visible).select_related("conversation"),
        pk=pk,
    )


def list_forward_targets() -> tuple[QuerySet[InternalService], QuerySet[Team]]:
    """Return where a conversation may be forwarded: active internal services, teams."""
    return InternalService.objects.filter(is_active=True), Team.objects.order_by("name")


def find_forwards_answered_by(
    all_clues: Iterable[AnswerClues],
) -> tuple[dict[str, ForwardRequest], dict[int, ForwardRequest]]:
    """Return the forward requests these inbound emails may answer, in one query: by the
    Message-ID of the email that carried them, and by id."""
    all_clues = list(all_clues)
    message_ids = {m for clues in all_clues for m in clues.forward_message_ids}
    named = {request_id for clues in all_clues for request_id in clues.named_request_ids}
    forwards = ForwardRequest.objects.filter(
        Q(sent_message__message_id__in=message_ids) | Q(pk__in=named)
    ).select_related("conversation", "sent_message")
    by_message_id: dict[str, ForwardRequest] = {}
    by_id: dict[int, ForwardRequest] = {}
    for forward in forwards:
        by_id[forward.pk] = forward
        if forward.sent_message is not None:
            by_message_id[forward.sent_message.message_id] = forward
    return by_message_id, by_id


@dataclass
class Holder:
    """Who has the conversation in hand now, and since when."""

    kind: str  # "internal_service", "team", "agent" or "nobody"
    label: Promise | str
    name: str
    since: datetime
    forward: ForwardRequest | None = None


def find_holder(
    conversation: Conversation, forwards: Iterable[ForwardRequest] | None = None
) -> Holder:
    """Return who holds the conversation: the service or team a waiting request went to
    (the latest), else its assignee, else its team. `forwards` may be the conversation's
    requests already read (`list_forwards`), to save a query."""
    if forwards is None:
        forwards = list_waiting_forwards(conversation).select_related("internal_service", "team")
    waiting = [f for f in forwards if f.status == ForwardRequest.Status.WAITING]
    if waiting:
        forward = max(waiting, key=lambda f: (f.created_at, f.pk))
        label = (
            _("Internal service")
            if forward.target == ForwardRequest.Target.INTERNAL_SERVICE
            else _("Team")
        )
        return Holder(forward.target, label, forward.target_name, forward.created_at, forward)
    since = handed_over_at(conversation)
    if conversation.assignee_id is not None:
        return Holder("agent", _("Agent"), str(conversation.assignee), since)
    if conversation.team_id is not None:
        return Holder("team", _("Team"), str(conversation.team), since)
    return Holder("nobody", _("Nobody"), "", since)


def handed_over_at(conversation: Conversation) -> datetime:
    """When the conversation last changed hands: the latest assignment, routing or team
    forward; else, for an assigned one, its first response (a reply takes an unassigned
    conversation without an assignment); else its opening."""
    latest = (
        conversation.events.filter(HANDOVER_EVENTS)
        .order_by("-at", "-pk")
        .values_list("at", flat=True)
        .first()
    )
    if latest is None and conversation.assignee_id is not None:
        latest = conversation.first_response_at
    return latest or conversation.created_at
