"""Reads for managers: which teams an agent manages, and conversations to review."""

import hashlib
from datetime import datetime

from django.db.models import QuerySet

from comptoir.agents.models import Agent
from comptoir.conversations.models import Conversation, ConversationEvent
from comptoir.conversations.queries import visible_conversations
from comptoir.teams.models import Team


def is_manager(agent: Agent) -> bool:
    """Whether the agent may see the KPIs and review quality: an admin or a team lead."""
    return agent.is_admin or agent.leads_a_team


def list_managed_teams(agent: Agent) -> QuerySet[Team]:
    """Return the teams whose figures the agent may see: every team for an admin, else those
    the agent leads."""
    if agent.is_admin:
        return Team.objects.order_by("name")
    return Team.objects.filter(memberships__agent=agent, memberships__is_lead=True).order_by("name")


def may_review(agent: Agent, conversation: Conversation) -> bool:
    """Whether the agent may review this conversation: an admin, or a lead of its team."""
    if agent.is_admin:
        return True
    return (
        conversation.team_id is not None
        and agent.memberships.filter(team_id=conversation.team_id, is_lead=True).exists()
    )


def sample_key(seed: int, pk: int) -> bytes:
    return hashlib.blake2b(f"{seed}:{pk}".encode(), digest_size=8).digest()


def sample_for_review(
    *, agent: Agent, teams: QuerySet[Team], start: datetime, end: datetime, size: int, seed: int
) -> list[Conversation]:
    """Return a random sample of answered conversations received in [start, end) in these
    teams, not reviewed yet.

    The order comes from a hash of the seed and the id rather than the database's random():
    the same seed gives the same sample on reload, and reviewing one of them keeps the others
    in the sample and brings in the next one.
    """
    candidates = (
        visible_conversations(agent)
        .filter(
            team__in=teams,
            created_at__gte=start,
            created_at__lt=end,
            first_response_at__isnull=False,
            quality_review__isnull=True,
        )
        .values_list("pk", flat=True)
        .order_by()
    )
    chosen = sorted(candidates, key=lambda pk: sample_key(seed, pk))[:size]
    conversations = Conversation.objects.select_related("customer", "assignee", "team").in_bulk(
        chosen
    )
    return [conversations[pk] for pk in chosen]


def find_answering_agent(conversation: Conversation) -> Agent | None:
    """Return who answered the customer: the last agent who replied, else the assignee."""
    last_reply = (
        ConversationEvent.objects.filter(
            conversation=conversation,
            kind=ConversationEvent.Kind.REPLIED,
            actor__isnull=False,
        )
        .select_related("actor")
        .order_by("-at", "-pk")
        .first()
    )
    if last_reply is not None:
        return last_reply.actor
    return conversation.assignee
