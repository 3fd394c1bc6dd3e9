"""The dashboard table as CSV: one row per team and period, then one per team for the whole
period (with its backlog), then the total. Semicolons and a BOM, for French spreadsheets."""

import csv
from collections.abc import Callable, Iterable
from io import StringIO

from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from comptoir.insights.kpis import Dashboard, Row


def number(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def backlog_value(row: Row, read: Callable[..., float | int | None]) -> str:
    if row.backlog is None:
        return ""
    value = read(row.backlog)
    return str(value) if isinstance(value, int) else number(value)


def team_label(row: Row) -> str:
    if row.every_team:
        return gettext("All teams")
    return str(row.team) if row.team else gettext("No team")


COLUMNS: list[tuple[Promise, Callable[[Row], str]]] = [
    (_("Team"), lambda row: team_label(row)),
    (_("Period"), lambda row: row.bucket.isoformat() if row.bucket else gettext("Total")),
    (pgettext_lazy("kpi", "Received"), lambda row: str(row.figures.received)),
    (pgettext_lazy("kpi", "Answered"), lambda row: str(row.figures.answered)),
    (_("Unanswered"), lambda row: str(row.figures.unanswered)),
    (_("Backlog now"), lambda row: backlog_value(row, lambda b: b.count)),
    (_("Backlog median age (h)"), lambda row: backlog_value(row, lambda b: b.median_age)),
    (_("Backlog oldest (h)"), lambda row: backlog_value(row, lambda b: b.oldest_age)),
    (_("Agents involved"), lambda row: str(row.figures.agents_involved)),
    (_("Forwarded to a service"), lambda row: str(row.figures.forwarded)),
    (_("First response median (h)"), lambda row: number(row.figures.first_response_median)),
    (_("First response p90 (h)"), lambda row: number(row.figures.first_response_p90)),
    (_("Resolution median (h)"), lambda row: number(row.figures.resolution_median)),
    (_("Resolution p90 (h)"), lambda row: number(row.figures.resolution_p90)),
    (_("SLA compliance"), lambda row: number(row.figures.sla_compliance, 4)),
    (_("CSAT"), lambda row: number(row.figures.csat, 4)),
    (_("CSAT ratings"), lambda row: str(row.figures.csat_count)),
    (pgettext_lazy("kpi", "Resolved"), lambda row: str(row.figures.resolved)),
    (_("Reopen rate"), lambda row: number(row.figures.reopen_rate, 4)),
]


def dashboard_rows(dashboard: Dashboard) -> Iterable[Row]:
    yield from dashboard.rows
    yield from dashboard.team_totals
    yield dashboard.total


def write_csv(dashboard: Dashboard) -> str:
    """Return the table as CSV text; shares are fractions (0.8750), durations in hours."""
    buffer = StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([str(header) for header, _read in COLUMNS])
    for row in dashboard_rows(dashboard):
        writer.writerow([read(row) for _header, read in COLUMNS])
    return "\ufeff" + buffer.getvalue()
