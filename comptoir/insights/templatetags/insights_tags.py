from django import template
from django.utils.formats import number_format

from comptoir.agents.models import Agent
from comptoir.insights import queries

register = template.Library()


@register.filter
def hours(value: float | None) -> str:
    """1.25 -> "1,3 h"; nothing to measure -> "—"."""
    if value is None:
        return "—"
    return f"{number_format(round(value, 1), 1)} h"


@register.filter
def percent(value: float | None) -> str:
    """0.857 -> "85,7 %"; nothing to measure -> "—"."""
    if value is None:
        return "—"
    return f"{number_format(round(value * 100, 1), 1)} %"


@register.filter
def score(value: float | None) -> str:
    if value is None:
        return "—"
    return number_format(round(value, 2), 2)


@register.filter
def is_manager(agent: Agent) -> bool:
    """Whether to show the figures link: an admin or a team lead (one query for a lead)."""
    return queries.is_manager(agent)
