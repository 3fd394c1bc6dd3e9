"""A small desk with known answers: two teams, ten conversations at fixed times.

Period: Monday 2 March to Sunday 15 March 2026, Paris time (UTC+1), two weeks.
Every figure asserted in the tests is worked out by hand in the comments below.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from comptoir.agents.models import Agent
from comptoir.conversations.models import Conversation, ConversationEvent
from comptoir.conversations.services import record_event
from comptoir.customers.models import Customer
from comptoir.sorting.models import Classification
from comptoir.teams.models import Membership, Team

Status = Conversation.Status
Kind = ConversationEvent.Kind
H = timedelta(hours=1)
PERIOD = (date(2026, 3, 2), date(2026, 3, 15))
# When the backlog is measured: Monday 16 March, 09:00 UTC.
NOW = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)


def at(day: int, hour: float = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC) + hour * H


@dataclass
class Desk:
    level_1: Team
    billing: Team
    conversations: dict[str, Conversation]


@pytest.fixture
def teammate(db) -> Agent:
    return Agent.objects.create_user(username="teammate", first_name="Lou", role="agent")


@pytest.fixture
def lead(db) -> Agent:
    return Agent.objects.create_user(username="lead", first_name="Sam", role="agent")


def make(
    name: str,
    *,
    team: Team,
    created: datetime,
    status: str,
    first_response: float | None = None,
    due: float | None = None,
    resolved: float | None = None,
    channel: str = Conversation.Channel.EMAIL,
) -> Conversation:
    customer = Customer.objects.create(first_name=name)
    conversation = Conversation.objects.create(
        customer=customer, subject=f"Demande {name}", team=team, status=status, channel=channel
    )
    fields = {
        "created_at": created,
        "first_response_at": created + first_response * H if first_response is not None else None,
        "first_response_due_at": created + due * H if due is not None else None,
        "resolved_at": created + resolved * H if resolved is not None else None,
    }
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    conversation.refresh_from_db()
    return conversation


def replied(conversation: Conversation, agent: Agent) -> None:
    record_event(
        conversation=conversation,
        kind=Kind.REPLIED,
        actor=agent,
        at=conversation.first_response_at,
        message=1,
    )


def rated(conversation: Conversation, rating: int) -> None:
    record_event(
        conversation=conversation,
        kind=Kind.SATISFACTION_RATED,
        at=conversation.created_at + 30 * H,
        rating=rating,
        satisfied=rating >= 4,
    )


@pytest.fixture
def desk(db, agent, teammate, lead) -> Desk:
    level_1 = Team.objects.create(name="Niveau 1")
    billing = Team.objects.create(name="Facturation")
    Membership.objects.create(team=level_1, agent=agent)
    Membership.objects.create(team=level_1, agent=teammate)
    Membership.objects.create(team=billing, agent=teammate)
    Membership.objects.create(team=billing, agent=lead, is_lead=True)
    c: dict[str, Conversation] = {}
    # Niveau 1, week of 2 March: 4 received, 3 answered (first responses 1, 3, 2 h: median
    # 2, p90 2.8), due met by c1 (1 ≤ 2) and c4 (2 ≤ 2, on the dot), missed by c2; resolved
    # c1 (4 h) and c2 (10 h, after a reopening): median 7, p90 9.4; c4 forwarded.
    c["c1"] = make("c1", team=level_1, created=at(2), status=Status.RESOLVED,
                   first_response=1, due=2, resolved=4)  # fmt: skip
    c["c2"] = make("c2", team=level_1, created=at(3), status=Status.RESOLVED,
                   first_response=3, due=2, resolved=10)  # fmt: skip
    c["c3"] = make("c3", team=level_1, created=at(4), status=Status.NEW, due=2)
    c["c4"] = make("c4", team=level_1, created=at(5), status=Status.OPEN,
                   first_response=2, due=2)  # fmt: skip
    replied(c["c1"], agent)
    replied(c["c2"], teammate)
    replied(c["c4"], agent)
    record_event(conversation=c["c2"], kind=Kind.REOPENED, at=at(3, 12))
    record_event(conversation=c["c4"], kind=Kind.FORWARDED, actor=agent, at=at(5, 12), service=1)
    rated(c["c1"], 5)
    rated(c["c2"], 2)
    Classification.objects.create(
        conversation=c["c1"], category="complaint", level="1", sentiment="negative",
        urgency="normal", predicted_at=at(2),
    )  # fmt: skip
    # Niveau 1, week of 9 March: 2 received, c5 answered in 5 h (due 8 h), resolved in 20 h,
    # then closed (resolved_at stays), rated 4 (satisfied); c6 waits for an answer.
    c["c5"] = make("c5", team=level_1, created=at(10), status=Status.CLOSED,
                   first_response=5, due=8, resolved=20)  # fmt: skip
    c["c6"] = make("c6", team=level_1, created=at(11), status=Status.NEW, due=2)
    replied(c["c5"], agent)
    rated(c["c5"], 4)
    # Facturation, week of 2 March: a phone call answered in 30 min with no due time (not
    # counted for the SLA), resolved in 1 h; c10 came at 00:30 Paris on 2 March (still 1 March
    # in UTC) and was closed unanswered.
    c["c7"] = make("c7", team=billing, created=at(6), status=Status.RESOLVED,
                   first_response=0.5, resolved=1, channel=Conversation.Channel.PHONE)  # fmt: skip
    c["c10"] = make("c10", team=billing, created=at(1, 23.5), status=Status.CLOSED)
    replied(c["c7"], teammate)
    # Outside the period, yet in Niveau 1's backlog now: c8 (20 February, open) and c9
    # (00:30 Paris on 16 March, which is 15 March in UTC).
    c["c8"] = make("c8", team=level_1, created=at(20, month=2), status=Status.OPEN)
    c["c9"] = make("c9", team=level_1, created=at(15, 23.5), status=Status.NEW)
    return Desk(level_1=level_1, billing=billing, conversations=c)
