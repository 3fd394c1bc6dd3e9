"""Routing and assignment: which team a conversation goes to, then which member takes it.

Routing runs once a conversation is classified (comptoir.sorting calls `route_conversations`)
and again when a manager corrects the classification (`reroute_conversation`). Assignment
runs after routing, for a team whose mode is round robin or least loaded.
"""

import logging
import uuid
from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, ConversationEvent
from comptoir.conversations.queries import ACTIVE_STATUSES
from comptoir.routing import queries
from comptoir.routing.models import RoutingDecision
from comptoir.routing.presence import SEEN_REFRESH
from comptoir.routing.rules import choose_rule
from comptoir.teams.models import Membership, Team
from comptoir.teams.services import ensure_default_team

logger = logging.getLogger("comptoir.routing")

Event = ConversationEvent.Kind
Mode = Team.AssignmentMode
# Attempts at moving a team's round-robin cursor before giving up: each failure means
# another worker assigned in this team at the same moment, so a few are plenty.
CURSOR_ATTEMPTS = 10


def route_conversations(*, conversation_ids: list[int]) -> int:
    """Send each conversation not routed yet to the team of the first matching rule (else the
    default team), record a `routed` event, then assign it; return how many were routed.

    Idempotent: the RoutingDecision row is the claim, so a conversation classified twice (two
    workers on one batch, a task run again) is routed once. A batch costs a fixed number of
    queries, plus a few per conversation sent to a team that assigns automatically.
    """
    if not conversation_ids:
        return 0
    facts = queries.list_routing_facts(conversation_ids)
    if not facts:
        return 0
    rules = queries.list_active_rules()
    default_team = ensure_default_team()
    now = timezone.now()
    batch = uuid.uuid4()
    proposed = {}
    for conversation_id, conversation_facts in facts.items():
        rule = choose_rule(rules, conversation_facts)
        proposed[conversation_id] = RoutingDecision(
            conversation_id=conversation_id,
            rule=rule,
            team_id=rule.team_id if rule else default_team.pk,
            routed_at=now,
            batch=batch,
        )
    with transaction.atomic():
        RoutingDecision.objects.bulk_create(proposed.values(), ignore_conflicts=True)
        won = list(
            RoutingDecision.objects.filter(batch=batch).values_list(
                "conversation_id", "rule_id", "team_id"
            )
        )
        by_team: dict[int, list[int]] = defaultdict(list)
        for conversation_id, _rule_id, team_id in won:
            by_team[team_id].append(conversation_id)
        for team_id, ids in by_team.items():
            Conversation.objects.filter(pk__in=ids).exclude(team_id=team_id).update(
                team_id=team_id, updated_at=now
            )
        # One INSERT for the batch: record_event() would cost a query per conversation.
        ConversationEvent.objects.bulk_create(
            ConversationEvent(
                conversation_id=conversation_id,
                kind=Event.ROUTED,
                actor=None,
                at=now,
                data={"rule": rule_id, "team": team_id},
            )
            for conversation_id, rule_id, team_id in won
        )
    assign_waiting_conversations(
        conversation_ids=[conversation_id for conversation_id, _, _ in won], team_ids=set(by_team)
    )
    return len(won)


def reroute_conversation(*, conversation: Conversation, by: Agent | None) -> Team | None:
    """Route the conversation again after its classification changed; return the new team,
    or None when it stays where it is.

    An assignee who is not a member of the new team gives it back to that team's queue.
    """
    facts = queries.list_routing_facts([conversation.pk]).get(conversation.pk)
    if facts is None:
        return None
    rule = choose_rule(queries.list_active_rules(), facts)
    team = rule.team if rule else ensure_default_team()
    now = timezone.now()
    with transaction.atomic():
        RoutingDecision.objects.update_or_create(
            conversation=conversation,
            defaults={"rule": rule, "team": team, "routed_at": now},
            create_defaults={"rule": rule, "team": team, "routed_at": now, "batch": uuid.uuid4()},
        )
        current = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if current.team_id == team.pk:
            return None
        previous_team_id = current.team_id
        current.team = team
        current.save(update_fields=["team", "updated_at"])
        conversations.record_event(
            conversation=current,
            kind=Event.ROUTED,
            actor=by,
            at=now,
            rule=rule.pk if rule else None,
            team=team.pk,
            previous_team=previous_team_id,
        )
        if current.assignee_id and not is_member(current.assignee_id, team):
            conversations.assign_conversation(conversation=current, assignee=None, by=by)
    assign_waiting_conversations(conversation_ids=[conversation.pk], team_ids={team.pk})
    conversation.refresh_from_db(fields=["team", "assignee", "status", "updated_at"])
    return team


def is_member(agent_id: int, team: Team) -> bool:
    return Membership.objects.filter(agent_id=agent_id, team=team).exists()


def assign_waiting_conversations(*, conversation_ids: list[int], team_ids: set[int]) -> int:
    """Give each new or open unassigned conversation to a member of its team, by the team's
    mode; return how many were assigned. Nobody online: they wait in the team's queue."""
    automatic = set(
        Team.objects.filter(pk__in=team_ids)
        .exclude(assignment_mode=Mode.NONE)
        .values_list("pk", flat=True)
    )
    if not automatic:
        return 0
    waiting = Conversation.objects.filter(
        pk__in=conversation_ids,
        team_id__in=automatic,
        assignee__isnull=True,
        status__in=ACTIVE_STATUSES,
    ).order_by("pk")
    return sum(assign_in_team(conversation=conversation) is not None for conversation in waiting)


# Per sweep: the most urgent first; the rest waits for the next minute.
QUEUE_SWEEP_BATCH = 200


def assign_queued_conversations(*, limit: int = QUEUE_SWEEP_BATCH) -> int:
    """Hand out the conversations waiting unassigned in automatic teams, most urgent first,
    to members who are online now; return how many were assigned.

    Routing assigns on arrival; a conversation that came while nobody was online, or that an
    agent gave back to the team, waits for this sweep (the worker runs it every minute).
    """
    automatic = Team.objects.exclude(assignment_mode=Mode.NONE).values_list("pk", flat=True)
    queued = list(
        Conversation.objects.filter(
            team_id__in=list(automatic), assignee__isnull=True, status__in=ACTIVE_STATUSES
        )
        .order_by(F("sla_due_at").asc(nulls_last=True), "pk")
        .values_list("pk", "team_id")[:limit]
    )
    if not queued:
        return 0
    return assign_waiting_conversations(
        conversation_ids=[pk for pk, _ in queued], team_ids={team for _, team in queued}
    )


def assign_in_team(*, conversation: Conversation) -> Agent | None:
    """Give an unassigned conversation to an online member of its team, by the team's mode.

    Return the agent, or None when the team assigns by hand, nobody is online, or someone
    took the conversation meanwhile. Two workers assigning in one team at once each move the
    team's round-robin cursor with a conditional UPDATE: the one that finds the cursor moved
    chooses again, so they never both pick the same member.
    """
    if conversation.team_id is None:
        return None
    for _attempt in range(CURSOR_ATTEMPTS):
        team = Team.objects.filter(pk=conversation.team_id).first()
        if team is None or team.assignment_mode == Mode.NONE:
            return None
        now = timezone.now()
        candidates = queries.list_online_members(team.pk, now)
        if not candidates:
            return None
        if team.assignment_mode == Mode.LEAST_LOADED:
            loads = queries.count_active_conversations(candidates)
            fewest = min(loads.values())
            candidates = [agent for agent in candidates if loads[agent.pk] == fewest]
        chosen = next_in_turn(candidates, after=team.last_assigned_to_id)
        with transaction.atomic():
            moved = Team.objects.filter(
                pk=team.pk, last_assigned_to=team.last_assigned_to_id
            ).update(last_assigned_to=chosen)
            if moved != 1:
                continue  # another worker assigned in this team: choose again
            return give_to(conversation, chosen, mode=team.assignment_mode, now=now)
    logger.warning("could not assign conversation %s: team %s too busy", conversation.pk, team)
    return None


def next_in_turn(candidates: list[Agent], *, after: int | None) -> Agent:
    """Return the first candidate after the cursor (by id), wrapping round to the first."""
    return next((agent for agent in candidates if after is None or agent.pk > after), candidates[0])


def give_to(
    conversation: Conversation, agent: Agent, *, mode: str, now: datetime
) -> Agent | None:
    # Conditional: an agent may have taken it from the queue while the rule was choosing.
    taken = Conversation.objects.filter(pk=conversation.pk, assignee__isnull=True).update(
        assignee=agent,
        # As when an agent takes it (conversations.services.assign_conversation).
        status=Case(
            When(status=Conversation.Status.NEW, then=Value(Conversation.Status.OPEN)),
            default=F("status"),
        ),
        updated_at=now,
    )
    if taken != 1:
        return None
    conversation.refresh_from_db(fields=["assignee", "status", "updated_at"])
    conversations.record_event(
        conversation=conversation,
        kind=Event.ASSIGNED,
        actor=None,
        at=now,
        assignee=agent.pk,
        mode=mode,
    )
    return agent


# --- Presence ----------------------------------------------------------------------------


def note_agent_seen(*, agent: Agent) -> bool:
    """Record that the agent is using Comptoir, at most once a minute; return whether written."""
    now = timezone.now()
    if agent.last_seen_at is not None and now - agent.last_seen_at < SEEN_REFRESH:
        return False
    Agent.objects.filter(pk=agent.pk).update(last_seen_at=now)
    agent.last_seen_at = now
    return True


def set_availability(*, agent: Agent, availability: str) -> None:
    """Switch the agent between available (may be given conversations) and away."""
    if availability not in Agent.Availability.values:
        raise ValueError(f"unknown availability {availability}")
    now = timezone.now()
    Agent.objects.filter(pk=agent.pk).update(availability=availability, last_seen_at=now)
    agent.availability, agent.last_seen_at = availability, now

