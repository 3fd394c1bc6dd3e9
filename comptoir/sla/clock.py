"""The SLA clock of one conversation, in memory: start, pause, resume, next due time.

Plain functions on an unsaved-or-saved `Conversation` and a business calendar; the caller
saves (see `services.CLOCK_FIELDS`). The clock runs while the team has something to do
(new, open) and is paused while the conversation waits on the customer, is resolved or is
closed: when it runs again, each unmet due time keeps the business time it had left.
"""

from datetime import datetime, timedelta

from comptoir.conversations.models import Conversation
from comptoir.sla.policies import Targets
from comptoir.teams.business_time import BusinessCalendar, add_business_time, business_time_between

Status = Conversation.Status
RUNNING_STATUSES = frozenset({Status.NEW, Status.OPEN})


def start_clock(
    conversation: Conversation, *, opened_at: datetime, targets: Targets, calendar: BusinessCalendar
) -> None:
    """Set the due times of a conversation opened at `opened_at`."""
    conversation.first_response_due_at = add_business_time(
        opened_at, targets.first_response, calendar
    )
    conversation.resolution_due_at = (
        add_business_time(opened_at, targets.resolution, calendar) if targets.resolution else None
    )
    conversation.sla_paused_at = None
    conversation.sla_paused_for = timedelta(0)
    conversation.sla_due_at = next_due(conversation)


def must_resume(conversation: Conversation) -> bool:
    return conversation.status in RUNNING_STATUSES and conversation.sla_paused_at is not None


def sync_clock_with_status(
    conversation: Conversation, *, now: datetime, calendar: BusinessCalendar | None
) -> bool:
    """Pause or resume the clock to match the status; return whether anything changed.

    The calendar is needed only to resume (`must_resume`): pausing is just noting the time.
    """
    before = clock_state(conversation)
    if must_resume(conversation):
        if calendar is None:
            raise ValueError("Resuming the SLA clock needs the team's calendar.")
        resume_clock(conversation, now=now, calendar=calendar)
    elif conversation.status not in RUNNING_STATUSES and conversation.sla_paused_at is None:
        conversation.sla_paused_at = now
    conversation.sla_due_at = next_due(conversation)
    return clock_state(conversation) != before


def resume_clock(conversation: Conversation, *, now: datetime, calendar: BusinessCalendar) -> None:
    """Run the clock again: every unmet due time moves by the business time spent paused."""
    paused_at = conversation.sla_paused_at
    assert paused_at is not None
    if conversation.first_response_at is None and conversation.first_response_due_at:
        conversation.first_response_due_at = moved_due(
            conversation.first_response_due_at, paused_at, now, calendar
        )
    if conversation.resolution_due_at:
        conversation.resolution_due_at = moved_due(
            conversation.resolution_due_at, paused_at, now, calendar
        )
    conversation.sla_paused_for += max(
        business_time_between(paused_at, now, calendar), timedelta(0)
    )
    conversation.sla_paused_at = None


def moved_due(
    due: datetime, paused_at: datetime, resumed_at: datetime, calendar: BusinessCalendar
) -> datetime:
    """Return the due time after a pause: the business time left at the pause, from now.

    A due time already passed when the pause began stays where it is: the breach happened.
    """
    left = business_time_between(paused_at, due, calendar)
    if left <= timedelta(0):
        return due
    return add_business_time(resumed_at, left, calendar)


def next_due(conversation: Conversation) -> datetime | None:
    """Return the due time the team works against now, or None while the clock is paused."""
    if conversation.status not in RUNNING_STATUSES or conversation.sla_paused_at is not None:
        return None
    if conversation.first_response_at is None and conversation.first_response_due_at:
        return conversation.first_response_due_at
    return conversation.resolution_due_at


def clock_state(conversation: Conversation) -> tuple:
    return (
        conversation.first_response_due_at,
        conversation.resolution_due_at,
        conversation.sla_due_at,
        conversation.sla_paused_at,
        conversation.sla_paused_for,
    )
