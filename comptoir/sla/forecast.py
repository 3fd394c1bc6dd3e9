"""The expected delay of a first response, promised in the acknowledgement of a new email.

Not a fixed text: the team's backlog (conversations waiting for their first response) divided
by its recent answer rate (first responses per business hour over the last days), counted in
the team's business hours from now, then said the way a person would ("dans environ
3 heures", "d'ici demain 11 h").
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from comptoir.conversations.models import Conversation
from comptoir.sla.clock import RUNNING_STATUSES
from comptoir.teams import queries as teams
from comptoir.teams.business_time import BusinessCalendar, add_business_time, business_time_between
from comptoir.teams.models import Team

# How far back the answer rate is measured, and how many first responses it takes before
# the measure is trusted over the default rate (a new team, a quiet week).
HISTORY = timedelta(days=7)
MIN_ANSWERS_FOR_RATE = 5
# Nobody answers in no time, even with an empty queue.
SHORTEST_DELAY = timedelta(minutes=15)


def count_backlog(team: Team | None) -> int:
    """Return how many of the team's conversations wait for their first response."""
    return Conversation.objects.filter(
        team=team, status__in=RUNNING_STATUSES, first_response_at__isnull=True
    ).count()


def recent_answer_rate(
    team: Team | None, *, now: datetime, calendar: BusinessCalendar
) -> float | None:
    """Return first responses per business hour over HISTORY, or None with too few of them."""
    since = now - HISTORY
    answered = Conversation.objects.filter(
        team=team, first_response_at__gt=since, first_response_at__lte=now
    ).count()
    business_hours = business_time_between(since, now, calendar) / timedelta(hours=1)
    if answered < MIN_ANSWERS_FOR_RATE or business_hours <= 0:
        return None
    return answered / business_hours


def delay_for(backlog: int, answers_per_hour: float) -> timedelta:
    """Return the business time needed to answer `backlog` conversations at this rate."""
    return max(SHORTEST_DELAY, timedelta(hours=backlog / answers_per_hour))


def expected_first_response(
    team: Team | None, now: datetime, calendar: BusinessCalendar | None = None
) -> timedelta:
    """Return the business time before the team is expected to answer a new conversation.

    The new conversation counts in the backlog: the caller stores it first.
    """
    calendar = calendar or teams.get_business_calendar(team)
    rate = recent_answer_rate(team, now=now, calendar=calendar)
    return delay_for(count_backlog(team), rate or settings.COMPTOIR_SLA_DEFAULT_ANSWERS_PER_HOUR)


def expected_first_response_at(team: Team | None, now: datetime) -> datetime:
    """Return when the team is expected to answer a conversation opened now."""
    calendar = teams.get_business_calendar(team)
    return add_business_time(now, expected_first_response(team, now, calendar), calendar)


# --- Wording ----------------------------------------------------------------------------


def describe_expected_response(now: datetime, expected_at: datetime, language: str) -> str:
    """Say when the answer is expected, e.g. "dans environ 3 heures", "d'ici lundi 11 h".

    Later today: an approximate duration. Another day: a deadline rounded up to the half
    hour, named by "tomorrow", its weekday within the week, or its date.
    """
    time_zone = expected_at.tzinfo
    now = now.astimezone(time_zone)
    with translation.override(language):
        if expected_at.date() == now.date():
            return about_duration(expected_at - now)
        deadline = round_up_to_half_hour(expected_at)
        days_ahead = (deadline.date() - now.date()).days
        at = clock_time(deadline, language)
        if days_ahead == 1:
            return gettext("by tomorrow %(time)s") % {"time": at}
        if days_ahead < 7:
            return gettext("by %(weekday)s %(time)s") % {
                "weekday": date_format(deadline, "l"),
                "time": at,
            }
        return gettext("by %(date)s at %(time)s") % {
            "date": date_format(deadline, "j F"),
            "time": at,
        }


def about_duration(duration: timedelta) -> str:
    """Say a delay within the day: minutes by quarter hours below an hour, else hours."""
    minutes = duration / timedelta(minutes=1)
    if minutes <= 45:
        quarters = max(1, math.ceil(minutes / 15))
        return gettext("within about %(minutes)d minutes") % {"minutes": quarters * 15}
    hours = max(1, round(minutes / 60))
    return ngettext("within about %(count)d hour", "within about %(count)d hours", hours) % {
        "count": hours
    }


def round_up_to_half_hour(moment: datetime) -> datetime:
    rounded = moment.replace(second=0, microsecond=0)
    if rounded < moment:
        rounded += timedelta(minutes=1)
    extra = rounded.minute % 30
    if extra:
        rounded += timedelta(minutes=30 - extra)
    return rounded


def clock_time(moment: datetime, language: str) -> str:
    """Write a time of day as people do: "11 h", "11 h 30" in French; "11 am", "11:30 am"."""
    if language == "fr":
        return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}:{moment.minute:02d} {suffix}" if moment.minute else f"{hour} {suffix}"
