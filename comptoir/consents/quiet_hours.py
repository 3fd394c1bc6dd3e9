"""Quiet hours: when no relationship or marketing message reaches a customer.

Wall-clock times in the company's time zone (20:00–08:00 in Paris is 19:00–07:00 UTC in
winter and 18:00–06:00 in summer), whole days (Sundays), and public holidays. Pure functions.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from comptoir.teams.business_time import is_public_holiday

# Quiet days in a row beyond this (a misconfiguration: every weekday quiet) end the search.
SEARCH_LIMIT_DAYS = 31


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    weekdays: frozenset[int]  # 0 = Monday
    time_zone: ZoneInfo
    # ISO country whose public holidays are quiet ("" for none).
    holidays_country: str = ""

    @classmethod
    def of(
        cls,
        *,
        start: time,
        end: time,
        weekdays: Iterable[int],
        time_zone: str,
        holidays_country: str = "",
    ) -> "QuietHours":
        from comptoir.consents.pressure_rules import PolicyError

        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise PolicyError(f"unknown time zone '{time_zone}'") from error
        days = frozenset(int(day) for day in weekdays)
        if not days <= set(range(7)):
            raise PolicyError("quiet days are numbers from 0 (Monday) to 6 (Sunday)")
        return cls(start, end, days, zone, holidays_country.upper())

    def is_quiet_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays or is_public_holiday(day, self.holidays_country)

    def is_quiet_time(self, moment: time) -> bool:
        if self.start == self.end:
            return False  # no quiet hours
        if self.start < self.end:
            return self.start <= moment < self.end
        # Across midnight: 20:00–08:00 is quiet from 20:00 and until 08:00.
        return moment >= self.start or moment < self.end

    def is_quiet(self, at: datetime) -> bool:
        local = at.astimezone(self.time_zone)
        return self.is_quiet_day(local.date()) or self.is_quiet_time(local.time())

    def end_of_quiet(self, at: datetime) -> datetime:
        """Return the first moment from `at` that is not quiet (`at` itself if it is not)."""
        moment = at
        for _step in range(2 * SEARCH_LIMIT_DAYS):
            if not self.is_quiet(moment):
                return moment
            moment = self.next_boundary(moment)
        return moment

    def next_boundary(self, at: datetime) -> datetime:
        """Return where the quiet stretch `at` is in may end: the next midnight or `end`."""
        local = at.astimezone(self.time_zone)
        if self.is_quiet_day(local.date()):
            return wall_clock(local.date() + timedelta(days=1), time(0), self.time_zone)
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return wall_clock(day, self.end, self.time_zone)


def wall_clock(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """Return the instant a clock in `zone` shows `moment` on `day`.

    A time skipped by the spring change (02:30 in Paris) is read with the offset before it, as
    zoneinfo does, which lands just after the change.
    """
    return datetime.combine(day, moment, tzinfo=zone)
