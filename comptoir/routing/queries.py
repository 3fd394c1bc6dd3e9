"""Reads of routing: the rules, the facts they look at, the members who can take work."""

from datetime import datetime

from django.db.models import Count

from comptoir.agents.models import Agent
from comptoir.conversations.models import Conversation
from comptoir.conversations.queries import ACTIVE_STATUSES
from comptoir.customers.models import Segment
from comptoir.routing.models import VIP_SEGMENT_NAME, RoutingRule
from comptoir.routing.presence import online_condition
from comptoir.routing.rules import RoutingFacts, fold
from comptoir.sorting import queries as sorting
from comptoir.sorting.models import Classification


def list_active_rules() -> list[RoutingRule]:
    """Return the active rules in the order they are tried."""
    return list(RoutingRule.objects.filter(is_active=True).order_by("priority", "pk"))


def list_routing_facts(conversation_ids: list[int]) -> dict[int, RoutingFacts]:
    """Return what the rules look at for each conversation, in five queries for a batch."""
    rows = list(Conversation.objects.filter(pk__in=conversation_ids).values_list(
        "pk", "customer_id", "channel"
    ))
    conversations = {pk: customer_id for pk, customer_id, _ in rows}
    channels = {pk: channel for pk, _, channel in rows}
    labels = {
        conversation_id: (category, level)
        for conversation_id, category, level in Classification.objects.filter(
            conversation_id__in=conversation_ids
        ).values_list("conversation_id", "category", "level")
    }
    segments: dict[int, set[int]] = {}
    memberships = Segment.customers.through.objects.filter(
        customer_id__in=set(conversations.values())
    ).values_list("customer_id", "segment_id", "segment__name")
    vip_customers = set()
    for customer_id, segment_id, segment_name in memberships:
        segments.setdefault(customer_id, set()).add(segment_id)
        if segment_name == VIP_SEGMENT_NAME:
            vip_customers.add(customer_id)
    texts = sorting.list_conversation_texts(list(conversations))
    facts = {}
    for conversation_id, customer_id in conversations.items():
        category, level = labels.get(conversation_id, ("", ""))
        text = texts.get(conversation_id)
        facts[conversation_id] = RoutingFacts(
            category=category,
            level=level,
            channel=channels[conversation_id],
            segment_ids=frozenset(segments.get(customer_id, ())),
            is_vip=customer_id in vip_customers,
            text=fold(f"{text.subject}\n{text.body}") if text else "",
        )
    return facts


def list_online_members(team_id: int, now: datetime) -> list[Agent]:
    """Return the team's members who are online, in a fixed order (the round-robin order)."""
    return list(
        Agent.objects.filter(online_condition(now), memberships__team_id=team_id).order_by("pk")
    )


def count_active_conversations(agents: list[Agent]) -> dict[int, int]:
    """Return how many new or open conversations each agent holds."""
    counts = dict(
        Conversation.objects.filter(assignee__in=agents, status__in=ACTIVE_STATUSES)
        .values_list("assignee_id")
        .annotate(count=Count("pk"))
        .values_list("assignee_id", "count")
    )
    return {agent.pk: counts.get(agent.pk, 0) for agent in agents}

