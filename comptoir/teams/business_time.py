"""Business time: durations that count only while a team is open.

Pure functions over a `BusinessCalendar` (weekly opening hours, closed dates, public holidays,
a time zone); no database. Opening hours are wall-clock times in the team's time zone, but
every duration is real elapsed time, computed in UTC: an interval that spans a daylight saving
change lasts what a stopwatch says, not what the wall clock says.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

Interval = tuple[time, time]
# An interval that ends at 00:00 ends at the midnight after it starts (e.g. 18:00–00:00).
MIDNIGHT = time(0)
# A calendar with no opening for this many days is misconfigured: stop looking rather than
# loop forever.
SEARCH_LIMIT_DAYS = 3 * 366
PARIS = ZoneInfo("Europe/Paris")


class NeverOpen(ValueError):
    """The calendar has no opening hours within the search limit."""


@lru_cache(maxsize=8)
def public_holidays_of(country: str) -> holidays.HolidayBase:
    # The holidays object computes each year (Easter and its followers included) the first
    # time a date of that year is asked for, then keeps it.
    return holidays.country_holidays(country)


def is_public_holiday(day: date, country: str) -> bool:
    return bool(country) and day in public_holidays_of(country)


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team works: hours per weekday (0 = Monday), closed dates, public holidays."""

    weekly_hours: Mapping[int, tuple[Interval, ...]]
    time_zone: ZoneInfo = PARIS
    closed_dates: frozenset[date] = frozenset()
    # ISO country code whose public holidays are closed days ("" for none).
    public_holidays: str = "FR"

    def is_closed(self, day: date) -> bool:
        return day in self.closed_dates or is_public_holiday(day, self.public_holidays)

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """Return the opening intervals of one local day, as UTC datetimes, merged and sorted."""
        if self.is_closed(day):
            return []
        intervals = []
        for opens_at, closes_at in self.weekly_hours.get(day.weekday(), ()):
            closing_day = day + timedelta(days=1) if closes_at == MIDNIGHT else day
            opens = moment_in(day, opens_at, self.time_zone)
            closes = moment_in(closing_day, closes_at, self.time_zone)
            if closes > opens:
                intervals.append((opens, closes))
        return merge_overlapping(sorted(intervals))


def moment_in(day: date, at: time, time_zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=time_zone).astimezone(UTC)


def merge_overlapping(
    intervals: list[tuple[datetime, datetime]],
) -> list[tuple[datetime, datetime]]:
    # Overlapping hours typed in the admin (9–13 and 12–18) must not count 12–13 twice.
    merged: list[tuple[datetime, datetime]] = []
    for opens, closes in intervals:
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def openings_from(
    moment: datetime, calendar: BusinessCalendar
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the opening intervals still to come at `moment`, the first one clipped to it."""
    # Start the day before: an interval ending at midnight may have begun yesterday.
    first_day = moment.astimezone(calendar.time_zone).date() - timedelta(days=1)
    for offset in range(SEARCH_LIMIT_DAYS):
        for opens, closes in calendar.open_intervals(first_day + timedelta(days=offset)):
            if closes > moment:
                yield max(opens, moment), closes


def require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("Business time needs aware datetimes.")


def add_business_time(start: datetime, duration: timedelta, calendar: BusinessCalendar) -> datetime:
    """Return the moment when `duration` of business time has passed since `start`.

    The result is in the calendar's time zone. A zero duration returns `start` itself, even
    outside business hours. Raise NeverOpen when the calendar has no hours at all.
    """
    require_aware(start)
    if duration < timedelta(0):
        raise ValueError("A business duration cannot be negative.")
    if not duration:
        return start.astimezone(calendar.time_zone)
    remaining = duration
    for opens, closes in openings_from(start, calendar):
        if remaining <= closes - opens:
            return (opens + remaining).astimezone(calendar.time_zone)
        remaining -= closes - opens
    raise NeverOpen("This calendar has no opening hours.")


def business_time_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> timedelta:
    """Return the business time from `a` to `b`; negative when `b` is before `a`."""
    require_aware(a, b)
    if b < a:
        return -business_time_between(b, a, calendar)
    total = timedelta(0)
    for opens, closes in openings_from(a, calendar):
        if opens >= b:
            break
        total += min(closes, b) - opens
    return total
