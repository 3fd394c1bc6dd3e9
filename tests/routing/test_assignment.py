"""Assignment within a team: round robin or least loaded, among online members only."""

import threading
import time
from collections import Counter

import pytest
from django.db import OperationalError, connection

from comptoir.agents.models import Agent
from comptoir.conversations import services as conversation_services
from comptoir.conversations.models import Conversation, ConversationEvent
from comptoir.routing import queries, services
from comptoir.routing.models import RoutingRule
from comptoir.teams.models import Team
from tests.routing.conftest import gone, make_agent, make_classified_conversation

pytestmark = pytest.mark.django_db
Mode = Team.AssignmentMode


@pytest.fixture
def support(default_team) -> Team:
    """The team every conversation is routed to, with automatic assignment."""
    team = Team.objects.create(name="Support", assignment_mode=Mode.ROUND_ROBIN)
    RoutingRule.objects.create(name="Tout", team=team)
    return team


def route_new(count: int = 1, **fields) -> list[Conversation]:
    conversations = [
        make_classified_conversation(email=f"client{n}-{time.monotonic_ns()}@example.fr", **fields)
        for n in range(count)
    ]
    for conversation in conversations:
        services.route_conversations(conversation_ids=[conversation.pk])
        conversation.refresh_from_db()
    return conversations


def test_round_robin_gives_conversations_to_online_members_in_turn(support):
    anne, bruno, chloe = (make_agent(name, teams=[support]) for name in ("anne", "bruno", "chloe"))

    assignees = [conversation.assignee for conversation in route_new(4)]

    assert assignees == [anne, bruno, chloe, anne]


def test_an_automatic_assignment_is_recorded_with_no_actor(support):
    anne = make_agent("anne", teams=[support])
    [conversation] = route_new()

    event = conversation.events.get(kind=ConversationEvent.Kind.ASSIGNED)
    assert event.actor is None
    assert event.data == {"assignee": anne.pk, "mode": "round_robin"}
    # Given to someone: no longer new, as when an agent takes it.
    assert conversation.status == Conversation.Status.OPEN


def test_least_loaded_gives_the_conversation_to_the_member_with_fewest_active(support):
    support.assignment_mode = Mode.LEAST_LOADED
    support.save()
    busy = make_agent("anne", teams=[support])
    free = make_agent("bruno", teams=[support])
    for conversation in route_new(2):
        conversation_services.assign_conversation(conversation=conversation, assignee=busy)
    # Conversations waiting on the customer or resolved are not a load.
    [resolved] = route_new()
    conversation_services.assign_conversation(conversation=resolved, assignee=free)
    conversation_services.change_status(conversation=resolved, status="resolved")

    assert [conversation.assignee for conversation in route_new(2)] == [free, free]
    assert route_new()[0].assignee in (busy, free)  # 2 each now: either


def test_away_and_long_gone_members_are_not_given_conversations(support):
    away = make_agent("anne", teams=[support])
    services.set_availability(agent=away, availability=Agent.Availability.AWAY)
    long_gone = make_agent("bruno", teams=[support])
    gone(long_gone)
    never_seen = make_agent("chloe", teams=[support], online=False)
    here = make_agent("denis", teams=[support])

    assert {conversation.assignee for conversation in route_new(3)} == {here}
    assert never_seen.assigned_conversations.count() == 0


def test_with_nobody_online_the_conversation_waits_unassigned_in_the_team_queue(support):
    gone(make_agent("anne", teams=[support]))

    [conversation] = route_new()

    assert conversation.team == support
    assert conversation.assignee is None
    assert conversation.status == Conversation.Status.NEW
    assert not conversation.events.filter(kind=ConversationEvent.Kind.ASSIGNED).exists()


def test_a_team_without_automatic_assignment_leaves_conversations_in_its_queue(support):
    support.assignment_mode = Mode.NONE
    support.save()
    make_agent("anne", teams=[support])

    assert route_new()[0].assignee is None


def test_an_agent_who_took_the_conversation_meanwhile_keeps_it(support):
    make_agent("anne", teams=[support])
    [conversation] = route_new()
    taker = make_agent("bruno", teams=[support])
    Conversation.objects.filter(pk=conversation.pk).update(assignee=taker)

    assert services.assign_in_team(conversation=conversation) is None
    conversation.refresh_from_db()
    assert conversation.assignee == taker


def test_members_of_other_teams_are_not_given_the_conversation(support, experts):
    make_agent("anne", teams=[experts])

    assert route_new()[0].assignee is None


def test_a_worker_that_finds_the_cursor_moved_by_another_chooses_again(support, monkeypatch):
    anne = make_agent("anne", teams=[support])
    bruno = make_agent("bruno", teams=[support])
    first, second = (make_classified_conversation(email=f"c{n}@example.fr") for n in range(2))
    Conversation.objects.filter(pk__in=[first.pk, second.pk]).update(team=support)
    first.refresh_from_db()
    second.refresh_from_db()
    # The interleaving two workers meet by chance, made certain: while the first one is
    # choosing (it has read the cursor), the second assigns in the same team.
    read_members = queries.list_online_members
    interrupted: list[bool] = []

    def list_online_members_while_another_worker_assigns(team_id, now):  # type: ignore[no-untyped-def]
        members = read_members(team_id, now)
        if not interrupted:
            interrupted.append(True)
            services.assign_in_team(conversation=second)
        return members

    monkeypatch.setattr(
        queries, "list_online_members", list_online_members_while_another_worker_assigns
    )
    services.assign_in_team(conversation=first)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.assignee, first.assignee) == (anne, bruno)


@pytest.mark.django_db(transaction=True)
def test_two_workers_assigning_at_once_never_pick_the_same_member(default_team):
    team = Team.objects.create(name="Support", assignment_mode=Mode.ROUND_ROBIN)
    members = [make_agent(f"agent{n}", teams=[team]) for n in range(2)]
    conversations = []
    for n in range(8):
        conversation = make_classified_conversation(email=f"client{n}@example.fr")
        Conversation.objects.filter(pk=conversation.pk).update(team=team)
        conversation.refresh_from_db()
        conversations.append(conversation)
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def worker(mine: list[Conversation]) -> None:
        barrier.wait()
        try:
            for conversation in mine:
                for _ in range(100):
                    try:
                        services.assign_in_team(conversation=conversation)
                        break
                    except OperationalError:
                        # SQLite in memory with a shared cache answers "table is locked" at
                        # once instead of waiting: the task would be retried, so is the call.
                        time.sleep(0.02)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(conversations[half::2],)) for half in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not failures
    counts = Counter(
        Conversation.objects.filter(team=team).values_list("assignee_id", flat=True)
    )
    assert counts == {members[0].pk: 4, members[1].pk: 4}
    # Each turn of the cursor went to one worker only: in the order they were made, the
    # assignments alternate between the two members (never the same one twice in a row).
    in_order = [
        data["assignee"]
        for data in ConversationEvent.objects.filter(kind=ConversationEvent.Kind.ASSIGNED)
        .order_by("pk")
        .values_list("data", flat=True)
    ]
    assert in_order == [members[0].pk, members[1].pk] * 4


def test_a_conversation_that_waited_goes_to_the_first_member_back_online(support):
    anne = make_agent("anne", teams=[support])
    gone(anne)
    [waited] = route_new()
    assert waited.assignee is None

    assert services.assign_queued_conversations() == 0  # still nobody online
    services.note_agent_seen(agent=Agent.objects.get(pk=anne.pk))  # Anne comes back
    assert services.assign_queued_conversations() == 1

    waited.refresh_from_db()
    assert waited.assignee == anne and waited.status == Conversation.Status.OPEN
    assert services.assign_queued_conversations() == 0  # nothing left: a second sweep is idle


def test_the_queue_sweep_leaves_teams_that_assign_by_hand(support):
    anne = make_agent("anne", teams=[support])
    gone(anne)
    [waited] = route_new()
    Team.objects.filter(pk=support.pk).update(assignment_mode=Mode.NONE)
    services.note_agent_seen(agent=Agent.objects.get(pk=anne.pk))

    assert services.assign_queued_conversations() == 0
    waited.refresh_from_db()
    assert waited.assignee is None
