"""The KPI figures on a desk with known answers (see conftest.py for the arithmetic)."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from comptoir.insights.kpis import Granularity, Selection, build_dashboard, percentile
from tests.insights.conftest import NOW, PERIOD

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
WEEK_1, WEEK_2 = date(2026, 3, 2), date(2026, 3, 9)


def approx(value: float) -> object:
    return pytest.approx(value, abs=1e-9)


def selection(**fields) -> Selection:
    return Selection(date_from=PERIOD[0], date_to=PERIOD[1], time_zone=PARIS, **fields)


def cells(board) -> dict:
    return {(row.team.name if row.team else None, row.bucket): row for row in board.rows}


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 3.0, 2.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0], 0.9) == approx(2.8)
    assert percentile([1.0, 2.0, 3.0, 5.0], 0.5) == 2.5


def test_figures_of_one_team_and_week_are_the_known_answers(desk, admin_agent):
    board = build_dashboard(selection(), agent=admin_agent, now=NOW)
    assert board.buckets == [WEEK_1, WEEK_2]
    week = cells(board)[("Niveau 1", WEEK_1)].figures
    assert (week.received, week.answered, week.unanswered) == (4, 3, 1)
    assert (week.forwarded, week.resolved, week.agents_involved) == (1, 2, 2)
    assert week.first_response_median == 2.0
    assert week.first_response_p90 == approx(2.8)
    assert week.resolution_median == 7.0
    assert week.resolution_p90 == approx(9.4)
    assert (week.sla_met, week.sla_measured) == (2, 3)
    assert week.sla_compliance == approx(2 / 3)
    assert (week.csat_satisfied, week.csat_count, week.csat) == (1, 2, 0.5)
    assert week.reopen_rate == 0.5


def test_second_week_counts_a_closed_conversation_as_resolved(desk, admin_agent):
    board = build_dashboard(selection(), agent=admin_agent, now=NOW)
    week = cells(board)[("Niveau 1", WEEK_2)].figures
    assert (week.received, week.answered, week.unanswered, week.resolved) == (2, 1, 1, 1)
    assert (week.first_response_median, week.first_response_p90) == (5.0, 5.0)
    assert (week.resolution_median, week.resolution_p90) == (20.0, 20.0)
    assert (week.sla_compliance, week.csat, week.reopen_rate) == (1.0, 1.0, 0.0)
    assert week.agents_involved == 1


def test_a_conversation_at_half_past_midnight_paris_belongs_to_that_paris_day(desk, admin_agent):
    board = build_dashboard(selection(), agent=admin_agent, now=NOW)
    billing = cells(board)[("Facturation", WEEK_1)].figures
    assert (billing.received, billing.answered, billing.resolved) == (2, 1, 1)
    assert billing.first_response_median == 0.5
    # No due time, no rating: nothing to measure, which is not 0 %.
    assert (billing.sla_compliance, billing.csat, billing.csat_count) == (None, None, 0)
    empty = cells(board)[("Facturation", WEEK_2)].figures
    assert (empty.received, empty.first_response_median, empty.reopen_rate) == (0, None, None)


def test_team_totals_and_backlog_now(desk, admin_agent):
    board = build_dashboard(selection(), agent=admin_agent, now=NOW)
    totals = {row.team.name: row for row in board.team_totals}
    level_1 = totals["Niveau 1"]
    figures = level_1.figures
    assert (figures.received, figures.answered, figures.unanswered) == (6, 4, 2)
    assert figures.first_response_median == 2.5
    assert figures.first_response_p90 == approx(4.4)
    assert (figures.resolution_median, figures.resolution_p90) == (10.0, approx(18.0))
    assert (figures.sla_compliance, figures.csat, figures.reopen_rate) == (
        0.75,
        approx(2 / 3),
        approx(1 / 3),
    )
    # Backlog: new or open now, whenever received: c3, c4, c6, c8 (before the period) and c9
    # (after it); ages 288, 264, 120, 576 and 9.5 hours.
    assert level_1.backlog.count == 5
    assert level_1.backlog.median_age == 264.0
    assert level_1.backlog.oldest_age == 576.0
    assert totals["Facturation"].backlog.count == 0


def test_grand_total_over_every_team(desk, admin_agent):
    board = build_dashboard(selection(), agent=admin_agent, now=NOW)
    figures = board.total.figures
    assert (figures.received, figures.answered, figures.unanswered) == (8, 5, 3)
    assert (figures.forwarded, figures.resolved, figures.agents_involved) == (1, 4, 2)
    assert figures.first_response_median == 2.0
    assert figures.first_response_p90 == approx(4.2)
    assert (figures.resolution_median, figures.resolution_p90) == (7.0, approx(17.0))
    assert figures.sla_compliance == 0.75
    assert (figures.csat_count, figures.csat) == (3, approx(2 / 3))
    assert figures.reopen_rate == 0.25
    assert board.total.backlog.count == 5
    assert [row.figures.received for row in board.period_totals] == [6, 2]


def test_filters_by_team_channel_and_category(desk, admin_agent):
    by_team = build_dashboard(selection(teams=[desk.billing]), agent=admin_agent, now=NOW)
    assert by_team.total.figures.received == 2
    assert {row.team for row in by_team.rows} == {desk.billing}
    phone = build_dashboard(selection(channel="phone"), agent=admin_agent, now=NOW)
    assert phone.total.figures.received == 1
    assert phone.total.figures.first_response_median == 0.5
    complaints = build_dashboard(selection(category="complaint"), agent=admin_agent, now=NOW)
    assert complaints.total.figures.received == 1
    assert complaints.total.figures.csat == 1.0


def test_daily_and_monthly_buckets(desk, admin_agent):
    daily = build_dashboard(selection(granularity=Granularity.DAY), agent=admin_agent, now=NOW)
    assert len(daily.buckets) == 14
    assert [row.figures.received for row in daily.period_totals[:6]] == [2, 1, 1, 1, 1, 0]
    monthly = build_dashboard(selection(granularity=Granularity.MONTH), agent=admin_agent, now=NOW)
    assert monthly.buckets == [date(2026, 3, 1)]
    assert monthly.period_totals[0].figures.received == 8


def test_dashboard_reads_a_fixed_number_of_queries(desk, admin_agent, django_assert_num_queries):
    with django_assert_num_queries(8):
        build_dashboard(selection(), agent=admin_agent, now=NOW)
