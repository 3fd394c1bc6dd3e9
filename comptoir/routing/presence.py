"""Who is online: an available agent seen in the last few minutes."""

from datetime import datetime, timedelta

from django.db.models import Q

from comptoir.agents.models import Agent

# An agent who has not loaded a page for this long is taken as gone (lunch, a closed tab),
# even if they forgot to switch to away.
ONLINE_WINDOW = timedelta(minutes=10)
# last_seen_at is written at most this often per agent: one UPDATE a minute, not one per page.
SEEN_REFRESH = timedelta(minutes=1)


def online_condition(now: datetime) -> Q:
    """The condition on Agent for being online at `now`."""
    return Q(
        is_active=True,
        availability=Agent.Availability.AVAILABLE,
        last_seen_at__gte=now - ONLINE_WINDOW,
    )


def is_online(agent: Agent, now: datetime) -> bool:
    return (
        agent.is_active
        and agent.availability == Agent.Availability.AVAILABLE
        and agent.last_seen_at is not None
        and agent.last_seen_at >= now - ONLINE_WINDOW
    )
