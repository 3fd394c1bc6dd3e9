"""SLA state changes: due times set and moved with the status, alerts raised and emailed.

The conversation services call `set_due_times` and `sync_clock` and save `CLOCK_FIELDS`;
the worker's clock runs `check_deadlines` every COMPTOIR_SLA_CHECK_SECONDS.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from comptoir.conversations.models import Conversation
from comptoir.sla import clock
from comptoir.sla.models import SlaAlert, SlaPolicy
from comptoir.sla.policies import choose_policy, targets_of
from comptoir.teams import queries as teams
from comptoir.teams.business_time import BusinessCalendar
from comptoir.teams.models import Team
from comptoir.teams.services import ensure_default_team

logger = logging.getLogger(__name__)

CLOCK_FIELDS = [
    "first_response_due_at",
    "resolution_due_at",
    "sla_due_at",
    "sla_paused_at",
    "sla_paused_for",
]
Kind = SlaAlert.Kind


class Calendars:
    """The business calendars of the teams met in one operation, each read once."""

    def __init__(self) -> None:
        self.by_team: dict[int | None, BusinessCalendar] = {}

    def of(self, team_id: int | None) -> BusinessCalendar:
        if team_id not in self.by_team:
            team = Team.objects.filter(pk=team_id).first() if team_id else None
            self.by_team[team_id] = teams.get_business_calendar(team)
        return self.by_team[team_id]


def set_due_times(conversations: Iterable[Conversation], *, now: datetime | None = None) -> None:
    """Give new conversations a team (the default one) and their due times (not saved).

    Conversations have no category and customers no tier yet: the policies for the team,
    or the defaults, apply.
    """
    conversations = list(conversations)
    if not conversations:
        return
    now = now or timezone.now()
    policies = list(SlaPolicy.objects.all())
    calendars = Calendars()
    default_team: Team | None = None
    # All of them open at `now`: the due times are computed once per team and policy (an
    # import batch of 200 conversations would otherwise walk the calendar 400 times).
    started: dict[tuple[int | None, int | None], Conversation] = {}
    for conversation in conversations:
        if conversation.team_id is None:
            default_team = default_team or ensure_default_team()
            conversation.team = default_team
        policy = choose_policy(policies, team_id=conversation.team_id)
        key = (conversation.team_id, policy.pk if policy else None)
        if key in started:
            for field in CLOCK_FIELDS:
                setattr(conversation, field, getattr(started[key], field))
        else:
            clock.start_clock(
                conversation,
                opened_at=now,
                targets=targets_of(policy),
                calendar=calendars.of(conversation.team_id),
            )
            started[key] = conversation
        clock.sync_clock_with_status(
            conversation, now=now, calendar=calendars.of(conversation.team_id)
        )


def sync_clock(conversation: Conversation, *, now: datetime | None = None) -> bool:
    """Pause or resume the SLA clock after a status change; return whether to save it."""
    calendar = Calendars().of(conversation.team_id) if clock.must_resume(conversation) else None
    return clock.sync_clock_with_status(conversation, now=now or timezone.now(), calendar=calendar)


def update_clocks_for_inbound(
    *, new: Iterable[Conversation], touched: Iterable[Conversation]
) -> None:
    """For a batch of inbound emails: due times of the new conversations (saved by the
    caller's bulk_create), and the clocks the customer restarted by writing (saved here)."""
    now = timezone.now()
    set_due_times(new, now=now)
    calendars = Calendars()
    restarted = [
        conversation
        for conversation in touched
        if conversation.status in clock.RUNNING_STATUSES and conversation.sla_paused_at
    ]
    for conversation in restarted:
        clock.sync_clock_with_status(
            conversation, now=now, calendar=calendars.of(conversation.team_id)
        )
    if restarted:
        Conversation.objects.bulk_update(restarted, CLOCK_FIELDS)


# --- The sweep ------------------------------------------------------------------------


def check_deadlines(*, now: datetime | None = None) -> int:
    """Raise the alerts that came due, then email the ones not emailed yet; idempotent.

    Returns the number of alerts raised by this run.
    """
    now = now or timezone.now()
    restart_forgotten_clocks(now)
    raised = raise_alerts(now)
    email_pending_alerts()
    return raised


def restart_forgotten_clocks(now: datetime) -> None:
    """Restart clocks left paused on a running conversation (a status changed by a path
    that does not know about SLA, such as the admin): from the customer's last message."""
    stale = Conversation.objects.filter(
        status__in=clock.RUNNING_STATUSES, sla_paused_at__isnull=False
    )
    calendars = Calendars()
    for conversation in stale:
        restarted_at = max(conversation.sla_paused_at, conversation.last_message_at or now)
        clock.sync_clock_with_status(
            conversation, now=min(restarted_at, now), calendar=calendars.of(conversation.team_id)
        )
        conversation.save(update_fields=CLOCK_FIELDS)


def raise_alerts(now: datetime) -> int:
    """Record a warning or breach alert for each due time near or past; once per kind."""
    soon = now + timedelta(minutes=settings.COMPTOIR_SLA_WARNING_MINUTES)
    running = Conversation.objects.filter(
        status__in=clock.RUNNING_STATUSES, sla_paused_at__isnull=True
    )
    candidates: list[SlaAlert] = []
    awaiting_answer = running.filter(
        first_response_at__isnull=True, first_response_due_at__lte=soon
    )
    for pk, due in awaiting_answer.values_list("pk", "first_response_due_at"):
        kind = Kind.FIRST_RESPONSE_BREACHED if due <= now else Kind.FIRST_RESPONSE_WARNING
        candidates.append(SlaAlert(conversation_id=pk, kind=kind, due_at=due))
    for pk, due in running.filter(resolution_due_at__lte=soon).values_list(
        "pk", "resolution_due_at"
    ):
        kind = Kind.RESOLUTION_BREACHED if due <= now else Kind.RESOLUTION_WARNING
        candidates.append(SlaAlert(conversation_id=pk, kind=kind, due_at=due))
    if not candidates:
        return 0
    existing = set(
        SlaAlert.objects.filter(
            conversation_id__in={alert.conversation_id for alert in candidates}
        ).values_list("conversation_id", "kind")
    )
    new = [alert for alert in candidates if (alert.conversation_id, alert.kind) not in existing]
    # Another worker may raise the same alert at the same moment: the unique constraint
    # keeps one, and the claim in email_pending_alerts() sends it once.
    SlaAlert.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def email_pending_alerts() -> int:
    """Email each alert not emailed yet to its team; return how many were sent."""
    pending = SlaAlert.objects.filter(emailed_at__isnull=True).select_related(
        "conversation__team", "conversation__customer"
    )
    sent = 0
    for alert in pending:
        if claim_alert_email(alert):
            sent += send_alert_email(alert)
    return sent


def claim_alert_email(alert: SlaAlert) -> bool:
    claimed = SlaAlert.objects.filter(pk=alert.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    # Nothing updated: another worker is sending this one.
    return claimed == 1


def send_alert_email(alert: SlaAlert) -> bool:
    """Tell the team of an alert by email. This is an internal note to agents, not a
    message to a customer: it goes through Django's email backend, not the dispatcher."""
    team = alert.conversation.team or ensure_default_team()
    recipients = teams.list_alert_recipients(team)
    if not recipients:
        logger.info("SLA alert %s: team %s has nobody to email", alert.pk, team)
        return False
    subject, body = alert_email_text(alert)
    try:
        send_mail(subject, body, settings.COMPTOIR_SUPPORT_ADDRESS, recipients)
    except Exception:
        logger.exception("SLA alert %s could not be emailed; retried at the next check", alert.pk)
        SlaAlert.objects.filter(pk=alert.pk).update(emailed_at=None)
        return False
    return True


def alert_email_text(alert: SlaAlert) -> tuple[str, str]:
    conversation = alert.conversation
    url = settings.PUBLIC_URL + reverse("conversations:detail", args=[conversation.pk])
    with (
        translation.override(settings.LANGUAGE_CODE),
        timezone.override(
            teams.time_zone_of(conversation.team) if conversation.team else settings.TIME_ZONE
        ),
    ):
        subject = gettext("%(alert)s: %(reference)s %(subject)s") % {
            "alert": alert.get_kind_display(),
            "reference": conversation.reference,
            "subject": conversation.subject,
        }
        body = gettext(
            "%(alert)s.\n\nConversation: %(reference)s %(subject)s\nCustomer: %(customer)s\n"
            "Due: %(due)s\n\n%(url)s\n"
        ) % {
            "alert": alert.get_kind_display(),
            "reference": conversation.reference,
            "subject": conversation.subject,
            "customer": conversation.customer.display_name,
            "due": date_format(timezone.localtime(alert.due_at), "DATETIME_FORMAT"),
            "url": url,
        }
    return subject[:200].replace("\n", " "), body
