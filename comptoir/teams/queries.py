"""Reads of teams: the default team, members to alert, and a team's business calendar."""

from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q, QuerySet

from comptoir.agents.models import Agent
from comptoir.teams.business_time import PARIS, BusinessCalendar, Interval
from comptoir.teams.models import Holiday, Membership, Team

# The hours of the default team ("Service client") and of a team with none configured yet:
# Monday to Friday, 9:00–18:00, Paris time.
DEFAULT_WEEKLY_HOURS: dict[int, tuple[Interval, ...]] = {
    weekday: ((time(9), time(18)),) for weekday in range(5)
}
DEFAULT_CALENDAR = BusinessCalendar(weekly_hours=DEFAULT_WEEKLY_HOURS)


@dataclass(frozen=True)
class TeamPlace:
    """An agent's place in one team, as the pages need it on every request."""

    team_id: int
    is_outsourced: bool
    is_lead: bool


def list_team_places(agent: Agent) -> list[TeamPlace]:
    """Return the agent's teams, whether each is outsourced, and whether the agent leads it."""
    if agent.pk is None:
        return []
    return [
        TeamPlace(*row)
        for row in Membership.objects.filter(agent=agent).values_list(
            "team_id", "team__is_outsourced", "is_lead"
        )
    ]


def find_outsourced_team_ids(agent: Agent) -> list[int] | None:
    """Return the teams of an outsider, or None when the agent is not one.

    An outsider is an agent (not an admin) whose teams are all outsourced. An agent with no
    team, or with one team of the company's own, is not restricted.
    """
    if agent.is_admin:
        return None
    places = agent.team_places
    if not places or not all(place.is_outsourced for place in places):
        return None
    return sorted(place.team_id for place in places)


def find_default_team() -> Team | None:
    """Return the team conversations go to when no rule routes them, if there is one."""
    return Team.objects.filter(is_default=True).first()


def get_business_calendar(team: Team | None) -> BusinessCalendar:
    """Return when a team works: its hours, its and the company's holidays, public holidays.

    Without a team, or for a team whose hours are not set yet, the default hours apply, so
    that due times are never missing for lack of configuration.
    """
    if team is None:
        return DEFAULT_CALENDAR
    weekly: dict[int, list[Interval]] = {}
    for hours in team.business_hours.all():
        weekly.setdefault(hours.weekday, []).append((hours.opens_at, hours.closes_at))
    closed = Holiday.objects.filter(Q(team=team) | Q(team__isnull=True)).values_list(
        "date", flat=True
    )
    return BusinessCalendar(
        weekly_hours={day: tuple(intervals) for day, intervals in weekly.items()}
        or DEFAULT_WEEKLY_HOURS,
        time_zone=time_zone_of(team),
        closed_dates=frozenset(closed),
        public_holidays=team.public_holidays,
    )


def time_zone_of(team: Team) -> ZoneInfo:
    try:
        return ZoneInfo(team.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return PARIS


def list_alert_recipients(team: Team) -> list[str]:
    """Return the addresses told of the team's SLA alerts: its leads, else all its members.

    The team's alert address comes first when it has one.
    """
    members = Agent.objects.filter(memberships__team=team, is_active=True).exclude(email="")
    leads = members.filter(memberships__is_lead=True)
    addresses = list((leads if leads.exists() else members).values_list("email", flat=True))
    if team.alert_email:
        addresses.insert(0, team.alert_email)
    return list(dict.fromkeys(addresses))


def list_teams() -> QuerySet[Team]:
    return Team.objects.order_by("name")
