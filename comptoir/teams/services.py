"""State changes of teams."""

from django.db import IntegrityError, transaction

from comptoir.teams.models import BusinessHours, Team
from comptoir.teams.queries import DEFAULT_WEEKLY_HOURS, find_default_team

DEFAULT_TEAM_NAME = "Service client"


def ensure_default_team() -> Team:
    """Return the default team, creating "Service client" (Mon–Fri 9:00–18:00) if none exists.

    A migration creates it; this puts it back if it was deleted, since every conversation
    needs a team whose hours count its due times.
    """
    team = find_default_team()
    if team is not None:
        return team
    try:
        with transaction.atomic():
            team = Team.objects.create(name=DEFAULT_TEAM_NAME, is_default=True)
            BusinessHours.objects.bulk_create(
                BusinessHours(team=team, weekday=weekday, opens_at=opens, closes_at=closes)
                for weekday, intervals in DEFAULT_WEEKLY_HOURS.items()
                for opens, closes in intervals
            )
    except IntegrityError:
        # Another process created it at the same moment, or a team already has that name.
        team = find_default_team()
        if team is None:
            team = Team.objects.get(name=DEFAULT_TEAM_NAME)
    return team
