"""Service KPIs: the figures of the managers' dashboard, per team and period.

Every figure is about a cohort: the conversations *received* (created) in the period, with
the team, channel and category asked for. Counts come from GROUP BY queries (team × period
bucket); the medians and 90th percentiles come from the durations of the cohort, fetched as
one column and computed here. That keeps one code path, giving the same figures on SQLite
(which has no PERCENTILE_CONT) and PostgreSQL; a year of a busy desk (1e5 answered
conversations) is a few megabytes of timedeltas, see bench/kpis.py.

The backlog is the exception: it is a snapshot (active now), not a cohort, so it is given
per team for the whole selection, whatever the period.
"""

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.conversations.models import Conversation, ConversationEvent
from comptoir.conversations.queries import ACTIVE_STATUSES, visible_conversations
from comptoir.insights.models import CRITERIA, QualityReview
from comptoir.teams.models import Team

Event = ConversationEvent.Kind
HOUR = timedelta(hours=1)


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Selection:
    """What a manager asked to see. `teams` None means every team, and no team."""

    date_from: date
    date_to: date  # included
    granularity: Granularity = Granularity.WEEK
    teams: Sequence[Team] | None = None
    channel: str = ""
    category: str = ""
    time_zone: ZoneInfo = field(default_factory=timezone.get_current_timezone)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time.min, tzinfo=self.time_zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=self.time_zone)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Return the percentile by linear interpolation (PostgreSQL's PERCENTILE_CONT)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    """The figures of one cohort (a team in a period, a team, everything)."""

    received: int = 0
    answered: int = 0
    forwarded: int = 0
    resolved: int = 0
    reopened: int = 0  # resolved conversations that had been reopened before
    sla_measured: int = 0  # first responses with a due time
    sla_met: int = 0
    csat_count: int = 0
    csat_satisfied: int = 0
    agents: set[int] = field(default_factory=set)
    first_response_hours: list[float] = field(default_factory=list)
    resolution_hours: list[float] = field(default_factory=list)

    # Counted by the conversations query, then by the ratings query.
    CONVERSATION_COUNTS = ("received", "answered", "forwarded", "resolved", "reopened",
                           "sla_measured", "sla_met")  # fmt: skip
    COUNTS = (*CONVERSATION_COUNTS, "csat_count", "csat_satisfied")

    def add(self, other: "Figures") -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.agents |= other.agents
        self.first_response_hours += other.first_response_hours
        self.resolution_hours += other.resolution_hours

    @property
    def unanswered(self) -> int:
        return self.received - self.answered

    @property
    def agents_involved(self) -> int:
        return len(self.agents)

    @property
    def first_response_median(self) -> float | None:
        return percentile(self.first_response_hours, 0.5)

    @property
    def first_response_p90(self) -> float | None:
        return percentile(self.first_response_hours, 0.9)

    @property
    def resolution_median(self) -> float | None:
        return percentile(self.resolution_hours, 0.5)

    @property
    def resolution_p90(self) -> float | None:
        return percentile(self.resolution_hours, 0.9)

    @property
    def sla_compliance(self) -> float | None:
        return share(self.sla_met, self.sla_measured)

    @property
    def csat(self) -> float | None:
        return share(self.csat_satisfied, self.csat_count)

    @property
    def reopen_rate(self) -> float | None:
        return share(self.reopened, self.resolved)


@dataclass
class Backlog:
    """Conversations active now (new or open): how many, and how long they have waited."""

    count: int = 0
    ages_hours: list[float] = field(default_factory=list)

    @property
    def median_age(self) -> float | None:
        return percentile(self.ages_hours, 0.5)

    @property
    def oldest_age(self) -> float | None:
        return max(self.ages_hours, default=None)


@dataclass
class Row:
    team: Team | None
    bucket: date | None  # None: the whole period
    figures: Figures
    backlog: Backlog | None = None
    every_team: bool = False  # a total over the teams, not the conversations without one


@dataclass
class AgentQuality:
    agent_id: int | None
    name: str
    reviews: int
    scores: dict[str, float]  # criterion -> average

    @property
    def average(self) -> float:
        return sum(self.scores.values()) / len(self.scores)


@dataclass
class Dashboard:
    selection: Selection
    buckets: list[date]
    rows: list[Row]  # team × bucket, every bucket of every team present
    team_totals: list[Row]  # one per team, with its backlog
    period_totals: list[Row]  # one per bucket, all teams together
    total: Row  # everything, with the backlog
    quality: list[AgentQuality]


# --- The selection as query sets ---------------------------------------------------------


def scoped(conversations: QuerySet[Conversation], selection: Selection) -> QuerySet[Conversation]:
    if selection.teams is not None:
        conversations = conversations.filter(team__in=[team.pk for team in selection.teams])
    if selection.channel:
        conversations = conversations.filter(channel=selection.channel)
    if selection.category:
        conversations = conversations.filter(classification__category=selection.category)
    return conversations


def cohort(selection: Selection, *, agent: Agent) -> QuerySet[Conversation]:
    """Return the conversations received in the selection, among those the agent may see."""
    return scoped(visible_conversations(agent), selection).filter(
        created_at__gte=selection.start, created_at__lt=selection.end
    )


def bucket_of(selection: Selection, path: str = "created_at") -> Case | Value:
    """Return the number of the bucket a time falls in, by comparing it with the bucket
    boundaries (local midnights computed here, so daylight saving is right).

    Not Trunc(): on SQLite it is a Python function called per row, which made a year of
    200,000 conversations take seconds. The comparisons form a binary search (nested CASE),
    so a year by day costs 9 comparisons a row rather than 180.
    """
    starts = bucket_starts(selection)
    boundaries = [datetime.combine(day, time.min, tzinfo=selection.time_zone) for day in starts]

    def search(low: int, high: int) -> Case | Value:
        # The bucket is in [low, high]: bucket i covers [boundaries[i], boundaries[i + 1]).
        if low == high:
            return Value(low)
        middle = (low + high + 1) // 2
        return Case(
            When(**{f"{path}__lt": boundaries[middle]}, then=search(low, middle - 1)),
            default=search(middle, high),
            output_field=IntegerField(),
        )

    return search(0, len(boundaries) - 1)


def bucket_starts(selection: Selection) -> list[date]:
    """Return the first day of every bucket the period touches."""
    day = selection.date_from
    if selection.granularity == Granularity.WEEK:
        day -= timedelta(days=day.weekday())
    elif selection.granularity == Granularity.MONTH:
        day = day.replace(day=1)
    starts = []
    while day <= selection.date_to:
        starts.append(day)
        if selection.granularity == Granularity.DAY:
            day += timedelta(days=1)
        elif selection.granularity == Granularity.WEEK:
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return starts


def event_exists(kind: str) -> Exists:
    return Exists(ConversationEvent.objects.filter(conversation=OuterRef("pk"), kind=kind))


class HoursBetween(Func):
    """Whole seconds from `earlier` to `later`, in hours, computed by the database.

    Django's own datetime subtraction is a Python function per row on SQLite (parsing both
    timestamps), which was most of the dashboard's time there; julianday() is native. Both
    round to the second, so SQLite and PostgreSQL give the same figures.
    """

    output_field = FloatField()

    def __init__(self, later: str, earlier: str) -> None:
        super().__init__(F(later), F(earlier))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "ROUND((JULIANDAY(%(expressions)s)) * 86400) / 3600.0"
        return self.as_sql(
            compiler, connection, template=template, arg_joiner=") - JULIANDAY(", **extra
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "ROUND(EXTRACT(EPOCH FROM (%(expressions)s))) / 3600.0"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ", **extra)


Key = tuple[int | None, date]


def bucket_keys(selection: Selection) -> Callable[[int | None, int], Key]:
    starts = bucket_starts(selection)

    def key(team_id: int | None, bucket: int) -> Key:
        return team_id, starts[bucket]

    return key


# --- The figures ---------------------------------------------------------------------------


def compute_figures(selection: Selection, *, agent: Agent) -> dict[Key, Figures]:
    """Return the cohort figures per (team id, bucket start), in six grouped queries."""
    received = cohort(selection, agent=agent)
    bucket_key = bucket_keys(selection)
    figures: dict[Key, Figures] = defaultdict(Figures)

    counts = (
        received.annotate(bucket=bucket_of(selection))
        .values("team_id", "bucket")
        .annotate(
            received=Count("pk"),
            answered=Count("pk", filter=Q(first_response_at__isnull=False)),
            forwarded=Count("pk", filter=Q(event_exists(Event.FORWARDED))),
            resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
            reopened=Count(
                "pk", filter=Q(resolved_at__isnull=False) & Q(event_exists(Event.REOPENED))
            ),
            sla_measured=Count(
                "pk",
                filter=Q(first_response_at__isnull=False, first_response_due_at__isnull=False),
            ),
            sla_met=Count("pk", filter=Q(first_response_at__lte=F("first_response_due_at"))),
        )
        .order_by()
    )
    for row in counts:
        target = figures[bucket_key(row["team_id"], row["bucket"])]
        for name in Figures.CONVERSATION_COUNTS:
            setattr(target, name, row[name])

    events = ConversationEvent.objects.filter(conversation__in=received).annotate(
        bucket=bucket_of(selection, "conversation__created_at")
    )
    ratings = (
        events.filter(kind=Event.SATISFACTION_RATED)
        .values("conversation__team_id", "bucket")
        .annotate(count=Count("pk"), satisfied=Count("pk", filter=Q(data__satisfied=True)))
        .order_by()
    )
    for row in ratings:
        target = figures[bucket_key(row["conversation__team_id"], row["bucket"])]
        target.csat_count, target.csat_satisfied = row["count"], row["satisfied"]

    repliers = (
        events.filter(kind=Event.REPLIED, actor__isnull=False)
        .values_list("conversation__team_id", "bucket", "actor_id")
        .order_by()
        .distinct()
    )
    for team_id, bucket, actor_id in repliers:
        figures[bucket_key(team_id, bucket)].agents.add(actor_id)

    durations = received.annotate(bucket=bucket_of(selection)).order_by()
    first_responses = durations.filter(first_response_at__isnull=False).values_list(
        "team_id", "bucket", HoursBetween("first_response_at", "created_at")
    )
    for team_id, bucket, hours in first_responses:
        figures[bucket_key(team_id, bucket)].first_response_hours.append(hours)
    resolutions = durations.filter(resolved_at__isnull=False).values_list(
        "team_id", "bucket", HoursBetween("resolved_at", "created_at")
    )
    for team_id, bucket, hours in resolutions:
        figures[bucket_key(team_id, bucket)].resolution_hours.append(hours)
    return figures


def compute_backlog(
    selection: Selection, *, agent: Agent, now: datetime | None = None
) -> dict[int | None, Backlog]:
    """Return the conversations active now per team id, with their ages in hours."""
    now = now or timezone.now()
    active = scoped(visible_conversations(agent), selection).filter(status__in=ACTIVE_STATUSES)
    backlogs: dict[int | None, Backlog] = defaultdict(Backlog)
    for team_id, created_at in active.values_list("team_id", "created_at").order_by():
        backlog = backlogs[team_id]
        backlog.count += 1
        backlog.ages_hours.append((now - created_at) / HOUR)
    return backlogs


def list_agent_quality(selection: Selection, *, agent: Agent) -> list[AgentQuality]:
    """Return the average quality scores per agent over the reviews of the cohort."""
    averages = (
        QualityReview.objects.filter(conversation__in=cohort(selection, agent=agent))
        .values("agent_id", "agent__first_name", "agent__last_name", "agent__username")
        .annotate(reviews=Count("pk"), **{name: Avg(name) for name in CRITERIA})
        .order_by("agent__first_name", "agent__last_name", "agent__username")
    )
    result = []
    for row in averages:
        name = f"{row['agent__first_name']} {row['agent__last_name']}".strip()
        result.append(
            AgentQuality(
                agent_id=row["agent_id"],
                name=name or row["agent__username"] or "—",
                reviews=row["reviews"],
                scores={criterion: row[criterion] for criterion in CRITERIA},
            )
        )
    return result


def build_dashboard(
    selection: Selection, *, agent: Agent, now: datetime | None = None
) -> Dashboard:
    """Return every figure of the dashboard for a selection the agent may see."""
    figures = compute_figures(selection, agent=agent)
    backlogs = compute_backlog(selection, agent=agent, now=now)
    buckets = bucket_starts(selection)
    team_ids = {team_id for team_id, _ in figures} | set(backlogs)
    if selection.teams is not None:
        team_ids |= {team.pk for team in selection.teams}
    teams = Team.objects.in_bulk([pk for pk in team_ids if pk is not None])
    # Teams by name, conversations without a team last.
    ordered = sorted(team_ids, key=lambda pk: (pk is None, teams[pk].name if pk else ""))

    rows, team_totals = [], []
    period_totals = {bucket: Figures() for bucket in buckets}
    total = Figures()
    for team_id in ordered:
        team_total = Figures()
        for bucket in buckets:
            cell = figures.get((team_id, bucket), Figures())
            rows.append(Row(team=teams.get(team_id), bucket=bucket, figures=cell))
            team_total.add(cell)
            period_totals[bucket].add(cell)
        total.add(team_total)
        team_totals.append(
            Row(team=teams.get(team_id), bucket=None, figures=team_total,
                backlog=backlogs.get(team_id, Backlog()))
        )  # fmt: skip
    overall_backlog = Backlog()
    for backlog in backlogs.values():
        overall_backlog.count += backlog.count
        overall_backlog.ages_hours += backlog.ages_hours
    return Dashboard(
        selection=selection,
        buckets=buckets,
        rows=rows,
        team_totals=team_totals,
        period_totals=[
            Row(team=None, bucket=b, figures=f, every_team=True) for b, f in period_totals.items()
        ],
        total=Row(team=None, bucket=None, figures=total, backlog=overall_backlog, every_team=True),
        quality=list_agent_quality(selection, agent=agent),
    )
