"""How a due time reads in the agent interface: "dans 1 h 20", "en retard de 35 min"."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext, pgettext

from comptoir.conversations.models import Conversation


@dataclass(frozen=True)
class DueDisplay:
    label: str  # "dans 1 h 20"
    state: str  # "ok", "warning" (due soon) or "breached" (overdue): the CSS class
    kind: str  # "first_response" or "resolution"
    due_at: datetime


def describe_due(conversation: Conversation, now: datetime) -> DueDisplay | None:
    """Return how the conversation's next due time reads now; None while the clock is off."""
    due_at = conversation.sla_due_at
    if due_at is None:
        return None
    kind = "first_response" if conversation.first_response_at is None else "resolution"
    left = due_at - now
    if left < timedelta(0):
        label = gettext("%(duration)s overdue") % {"duration": short_duration(-left)}
        return DueDisplay(label, "breached", kind, due_at)
    label = gettext("in %(duration)s") % {"duration": short_duration(left)}
    soon = left <= timedelta(minutes=settings.COMPTOIR_SLA_WARNING_MINUTES)
    return DueDisplay(label, "warning" if soon else "ok", kind, due_at)


def short_duration(duration: timedelta) -> str:
    """Write a duration briefly: "35 min", "1 h 20", "3 h", "2 d 4 h" ("2 j 4 h" in French)."""
    minutes = max(1, round(duration / timedelta(minutes=1)))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    day_unit = pgettext("short unit of days", "d")
    if days:
        return f"{days} {day_unit} {hours} h" if hours else f"{days} {day_unit}"
    if hours:
        return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"
    return f"{minutes} min"
