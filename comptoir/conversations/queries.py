"""Reads of conversations for the agent interface: the inbox views, search, one conversation."""

from enum import StrEnum

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from comptoir.agents.models import Agent
from comptoir.conversations.models import Attachment, CallbackRequest, Conversation, Message
from comptoir.customers.models import Identity

Status = Conversation.Status

# Statuses that still ask something of the team; waiting is the customer's turn.
ACTIVE_STATUSES = [Status.NEW, Status.OPEN]


class InboxView(StrEnum):
    UNASSIGNED = "unassigned"
    MINE = "mine"
    OPEN = "open"
    WAITING = "waiting"
    RESOLVED = "resolved"


INBOX_LABELS: dict[InboxView, Promise] = {
    InboxView.UNASSIGNED: pgettext_lazy("inbox view", "Unassigned"),
    InboxView.MINE: pgettext_lazy("inbox view", "Mine"),
    InboxView.OPEN: pgettext_lazy("inbox view", "All open"),
    InboxView.WAITING: pgettext_lazy("inbox view", "Waiting"),
    InboxView.RESOLVED: pgettext_lazy("inbox view", "Resolved"),
}


# The views of work to do list the most urgent first: by the next SLA due time (the first
# response until it is sent, then the resolution), those without one after. The others
# (waiting, resolved, a search everywhere) list the newest activity first.
VIEWS_BY_URGENCY = {InboxView.UNASSIGNED, InboxView.MINE, InboxView.OPEN}
URGENCY_ORDER = [
    F("sla_due_at").asc(nulls_last=True),
    F("resolution_due_at").asc(nulls_last=True),
    "-last_message_at",
    "-pk",
]


def inbox_filter(view: InboxView, agent: Agent) -> Q:
    """Return the condition that puts a conversation in one inbox view."""
    if view == InboxView.UNASSIGNED:
        return Q(assignee__isnull=True, status__in=ACTIVE_STATUSES)
    if view == InboxView.MINE:
        # An agent's own list includes what waits on the customer: it is still theirs.
        return Q(assignee=agent, status__in=[*ACTIVE_STATUSES, Status.WAITING])
    if view == InboxView.OPEN:
        return Q(status__in=ACTIVE_STATUSES)
    if view == InboxView.WAITING:
        return Q(status=Status.WAITING)
    return Q(status__in=[Status.RESOLVED, Status.CLOSED])


# Past this, a tab says "10000+" and the list "Page 1 of 200+": an exact count of a million
# resolved conversations is a full table scan for a figure nobody reads (bench/inbox.py).
COUNT_CAP = 10_000


def count_inbox_views(agent: Agent, cap: int | None = None) -> dict[InboxView, int]:
    """Return the number of conversations in each inbox view, counted up to `cap`.

    One query per view, each on an index and stopped at the cap; one aggregate with a
    FILTER per view read the whole table.
    """
    cap = COUNT_CAP if cap is None else cap
    return {
        view: visible_conversations(agent).filter(inbox_filter(view, agent))[:cap].count()
        for view in InboxView
    }


def search_filter(text: str) -> Q:
    """Return the condition matching subject, message text or customer name/email.

    icontains works the same on SQLite and PostgreSQL; Exists keeps one row per conversation
    without DISTINCT, so the list keeps its ordering and its paginator count stays cheap.
    """
    text = text.strip()
    in_messages = Message.objects.filter(conversation=OuterRef("pk")).filter(
        Q(text__icontains=text) | Q(subject__icontains=text) | Q(from_address__icontains=text)
    )
    in_identities = Identity.objects.filter(customer=OuterRef("customer"), value__icontains=text)
    condition = (
        Q(subject__icontains=text)
        | Q(customer__first_name__icontains=text)
        | Q(customer__last_name__icontains=text)
        | Q(customer__company_name__icontains=text)
        | Exists(in_messages)
        | Exists(in_identities)
    )
    reference = text.strip("[]#")
    if reference.isdigit():
        condition |= Q(pk=int(reference))
    return condition


def list_conversations(
    *, view: InboxView | None, agent: Agent, search: str = ""
) -> QuerySet[Conversation]:
    """Return the conversations of an inbox view (or all, when searching), in the view's order."""
    conversations = (
        visible_conversations(agent)
        .select_related("customer", "assignee")
        .prefetch_related("customer__identities")
    )
    if view is not None:
        conversations = conversations.filter(inbox_filter(view, agent))
    if search.strip():
        conversations = conversations.filter(search_filter(search))
    if view in VIEWS_BY_URGENCY:
        return conversations.order_by(*URGENCY_ORDER)
    return conversations.order_by("-last_message_at", "-pk")


def visible_conversations(agent: Agent) -> QuerySet[Conversation]:
    """Return the conversations this agent may open: the one gate every page and API uses.

    Every view that takes a conversation id goes through here (or `get_conversation`), so
    that a restricted agent (an outsourced level-1 team) cannot reach others by their id.
    """
    return Conversation.objects.filter(visibility_condition(agent))


def visibility_condition(agent: Agent, *, through: str = "") -> Q:
    """Return the condition on Conversation (or on a model reaching it `through` a relation,
    e.g. "message__conversation__") that keeps what the agent may see.

    An outsider (an agent whose teams are all outsourced) sees only the conversations routed
    to his teams; anyone else sees them all, and the condition is empty.
    """
    team_ids = agent.outsourced_team_ids
    if team_ids is None:
        return Q()
    return Q(**{f"{through}team__in": team_ids})


def get_conversation(pk: int, *, agent: Agent) -> Conversation:
    """Return one conversation the agent may see, with its customer and assignee; raise
    Http404 if it is missing or hidden from this agent (the same answer: nothing leaks)."""
    return get_object_or_404(
        visible_conversations(agent)
        .select_related("customer", "assignee", "team")
        .prefetch_related("customer__identities", "sla_alerts"),
        pk=pk,
    )


def list_thread(conversation: Conversation) -> QuerySet[Message]:
    """Return every message of the conversation, oldest first, with authors and attachments."""
    return (
        conversation.messages.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )


def list_other_conversations(
    conversation: Conversation, *, agent: Agent, limit: int = 20
) -> QuerySet[Conversation]:
    """Return the customer's other conversations the agent may see, newest activity first."""
    return (
        visible_conversations(agent)
        .filter(customer_id=conversation.customer_id)
        .exclude(pk=conversation.pk)
        .select_related("assignee")
        .order_by("-last_message_at", "-pk")[:limit]
    )


def list_assignable_agents() -> QuerySet[Agent]:
    """Return the agents a conversation can be given to."""
    return Agent.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def get_attachment(pk: int, *, agent: Agent) -> Attachment:
    """Return one attachment of a conversation the agent may see; raise Http404 otherwise."""
    return get_object_or_404(
        Attachment.objects.filter(
            visibility_condition(agent, through="message__conversation__")
        ).select_related("message"),
        pk=pk,
    )


def find_customer_phone(conversation: Conversation) -> str | None:
    """Return the customer's first phone number, from the prefetched identities if any."""
    for identity in conversation.customer.identities.all():
        if identity.kind == Identity.Kind.PHONE:
            return identity.value
    return None


def list_open_callbacks(
    conversation: Conversation | None = None, *, agent: Agent
) -> QuerySet[CallbackRequest]:
    """Return the call-backs still to make on conversations the agent may see, the most
    urgent first."""
    callbacks = CallbackRequest.objects.filter(
        visibility_condition(agent, through="conversation__"),
        status=CallbackRequest.Status.OPEN,
    )
    if conversation is not None:
        callbacks = callbacks.filter(conversation=conversation)
    return callbacks.select_related(
        "conversation__customer", "requested_by", "team"
    ).order_by("due_at", "pk")


def get_callback(pk: int, *, agent: Agent) -> CallbackRequest:
    """Return one call-back request on a conversation the agent may see; raise Http404
    otherwise."""
    return get_object_or_404(
        CallbackRequest.objects.filter(visibility_condition(agent, through="conversation__")),
        pk=pk,
    )
