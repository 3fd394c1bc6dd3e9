"""Business time across nights, weekends, French public holidays, team holidays and DST."""

from datetime import date, datetime, time, timedelta

import pytest

from comptoir.teams.business_time import (
    PARIS,
    BusinessCalendar,
    NeverOpen,
    add_business_time,
    business_time_between,
)

OFFICE_HOURS = {weekday: ((time(9), time(18)),) for weekday in range(5)}
OFFICE = BusinessCalendar(weekly_hours=OFFICE_HOURS)
LUNCH_BREAK = BusinessCalendar(
    weekly_hours={weekday: ((time(9), time(12, 30)), (time(14), time(18))) for weekday in range(5)}
)
HOURS = timedelta(hours=1)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # Within the day.
        (paris(2026, 11, 24, 10, 0), 2 * HOURS, paris(2026, 11, 24, 12, 0)),
        # Across a night: one hour on Tuesday evening, one on Wednesday morning.
        (paris(2026, 11, 24, 17, 0), 2 * HOURS, paris(2026, 11, 25, 10, 0)),
        # Across a weekend: Friday 17:30 + 2 business hours = Monday 10:30.
        (paris(2026, 11, 20, 17, 30), 2 * HOURS, paris(2026, 11, 23, 10, 30)),
        # Sent at night: the clock starts at the opening.
        (paris(2026, 11, 24, 23, 15), 2 * HOURS, paris(2026, 11, 25, 11, 0)),
        # Sent on Saturday.
        (paris(2026, 11, 21, 14, 0), 2 * HOURS, paris(2026, 11, 23, 11, 0)),
        # Ending exactly at closing time stays that evening.
        (paris(2026, 11, 24, 16, 0), 2 * HOURS, paris(2026, 11, 24, 18, 0)),
        # Several days of work.
        (paris(2026, 11, 23, 9, 0), 27 * HOURS, paris(2026, 11, 25, 18, 0)),
    ],
)
def test_add_business_time_skips_nights_and_weekends(start, duration, expected):
    assert add_business_time(start, duration, OFFICE) == expected


@pytest.mark.parametrize(
    ("start", "expected", "holiday"),
    [
        # 1 May 2026 is a Friday: Thursday evening goes on to Monday.
        (paris(2026, 4, 30, 17, 0), paris(2026, 5, 4, 10, 0), "Fête du Travail"),
        # Easter Monday 2026 is 6 April, computed by the holidays package.
        (paris(2026, 4, 3, 17, 0), paris(2026, 4, 7, 10, 0), "Lundi de Pâques"),
        # 14 July 2026 is a Tuesday.
        (paris(2026, 7, 13, 17, 0), paris(2026, 7, 15, 10, 0), "Fête nationale"),
        # Christmas 2026 is a Friday.
        (paris(2026, 12, 24, 17, 0), paris(2026, 12, 28, 10, 0), "Noël"),
        # Ascension Thursday 2027 (6 May), another Easter-based date.
        (paris(2027, 5, 5, 17, 0), paris(2027, 5, 7, 10, 0), "Ascension"),
    ],
)
def test_french_public_holidays_are_closed(start, expected, holiday):
    assert add_business_time(start, 2 * HOURS, OFFICE) == expected, holiday


def test_public_holidays_can_be_switched_off():
    calendar = BusinessCalendar(weekly_hours=OFFICE_HOURS, public_holidays="")
    assert add_business_time(paris(2026, 7, 13, 17, 0), 2 * HOURS, calendar) == paris(
        2026, 7, 14, 10, 0
    )


def test_a_team_holiday_is_closed():
    calendar = BusinessCalendar(
        weekly_hours=OFFICE_HOURS, closed_dates=frozenset({date(2026, 11, 25)})
    )
    assert add_business_time(paris(2026, 11, 24, 17, 0), 2 * HOURS, calendar) == paris(
        2026, 11, 26, 10, 0
    )
    assert (
        business_time_between(paris(2026, 11, 24, 0, 0), paris(2026, 11, 27, 0, 0), calendar)
        == 18 * HOURS
    )


def test_lunch_break_is_not_counted():
    assert add_business_time(paris(2026, 11, 24, 12, 0), HOURS, LUNCH_BREAK) == paris(
        2026, 11, 24, 14, 30
    )
    assert business_time_between(
        paris(2026, 11, 24, 0, 0), paris(2026, 11, 25, 0, 0), LUNCH_BREAK
    ) == timedelta(hours=7, minutes=30)


def test_overlapping_hours_are_counted_once():
    calendar = BusinessCalendar(weekly_hours={0: ((time(9), time(13)), (time(12), time(18)))})
    assert (
        business_time_between(paris(2026, 11, 23, 0, 0), paris(2026, 11, 24, 0, 0), calendar)
        == 9 * HOURS
    )


def test_an_interval_may_end_at_midnight():
    evening = BusinessCalendar(weekly_hours={day: ((time(18), time(0)),) for day in range(7)})
    assert add_business_time(paris(2026, 11, 24, 23, 0), 2 * HOURS, evening) == paris(
        2026, 11, 25, 19, 0
    )


def test_business_time_between_counts_only_open_hours():
    friday_evening, monday_morning = paris(2026, 11, 20, 17, 30), paris(2026, 11, 23, 10, 30)
    assert business_time_between(friday_evening, monday_morning, OFFICE) == 2 * HOURS
    assert business_time_between(monday_morning, friday_evening, OFFICE) == -2 * HOURS
    saturday, sunday = paris(2026, 11, 21, 10, 0), paris(2026, 11, 22, 10, 0)
    assert business_time_between(saturday, sunday, OFFICE) == timedelta(0)


@pytest.mark.parametrize("minutes", [1, 30, 119, 120, 540, 541, 2000, 10_000])
@pytest.mark.parametrize(
    "start", [paris(2026, 11, 20, 17, 59), paris(2026, 12, 31, 12, 0), paris(2026, 3, 27, 9, 0)]
)
def test_adding_then_measuring_gives_back_the_duration(start, minutes):
    duration = timedelta(minutes=minutes)
    assert (
        business_time_between(start, add_business_time(start, duration, OFFICE), OFFICE) == duration
    )


def test_weekend_with_the_spring_daylight_saving_change():
    # Clocks go forward on Sunday 29 March 2026; Monday's 10:00 is then UTC+2.
    due = add_business_time(paris(2026, 3, 27, 17, 0), 2 * HOURS, OFFICE)
    assert due == paris(2026, 3, 30, 10, 0)
    assert due.utcoffset() == timedelta(hours=2)


def test_night_hours_last_what_a_stopwatch_says_across_dst():
    night = BusinessCalendar(weekly_hours={6: ((time(1), time(5)),)}, public_holidays="")
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)

    def whole(day: date) -> timedelta:
        start = datetime.combine(day, time(0), tzinfo=PARIS)
        return business_time_between(start, start + timedelta(days=1), night)

    assert whole(spring) == 3 * HOURS  # 01:00 → 05:00 with an hour skipped
    assert whole(autumn) == 5 * HOURS  # 01:00 → 05:00 with an hour repeated
    assert add_business_time(paris(2026, 3, 29, 1, 0), 3 * HOURS, night) == paris(2026, 3, 29, 5, 0)


def test_zero_duration_returns_the_start_even_when_closed():
    saturday = paris(2026, 11, 21, 10, 0)
    assert add_business_time(saturday, timedelta(0), OFFICE) == saturday


def test_naive_datetimes_and_negative_durations_are_refused():
    with pytest.raises(ValueError):
        add_business_time(datetime(2026, 11, 24, 10, 0), HOURS, OFFICE)
    with pytest.raises(ValueError):
        add_business_time(paris(2026, 11, 24, 10, 0), -HOURS, OFFICE)


def test_a_calendar_that_never_opens_is_an_error():
    with pytest.raises(NeverOpen):
        add_business_time(paris(2026, 11, 24, 10, 0), HOURS, BusinessCalendar(weekly_hours={}))
