"""Satisfaction surveys: planned when a conversation is resolved, sent by the sweep, answered
from a signed link; an unhappy answer reopens the conversation and alerts the team's leads.

`conversations.services.change_status` calls `schedule_survey` after a resolution commits;
the worker's clock runs `send_due_surveys` every minute.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from comptoir.agents.models import Agent
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.surveys.links import survey_url
from comptoir.surveys.models import (
    SATISFIED_FROM,
    UNHAPPY_UP_TO,
    Rating,
    SatisfactionSurvey,
)
from comptoir.teams import queries as teams
from comptoir.teams.services import ensure_default_team

logger = logging.getLogger(__name__)

Status = SatisfactionSurvey.Status
SkipReason = SatisfactionSurvey.SkipReason
# Closing a resolved conversation only archives it: the resolution still stands.
STILL_RESOLVED = {Conversation.Status.RESOLVED, Conversation.Status.CLOSED}
COMMENT_MAX_LENGTH = 2000


class SurveyError(Exception):
    """An answer that cannot be recorded."""


# --- Planning and sending ----------------------------------------------------------------


def schedule_survey(*, conversation_id: int, by: Agent | None = None) -> SatisfactionSurvey | None:
    """Plan the survey about the conversation's latest resolution, sent after
    COMPTOIR_SURVEY_DELAY_MINUTES; idempotent (one survey per resolution).

    Called once the resolution is committed. Returns None when surveys are turned off or the
    conversation is no longer resolved.
    """
    if not settings.COMPTOIR_SURVEYS_ENABLED:
        return None
    conversation = Conversation.objects.filter(
        pk=conversation_id, status=Conversation.Status.RESOLVED, resolved_at__isnull=False
    ).first()
    if conversation is None:
        return None
    assert conversation.resolved_at is not None
    survey, _ = SatisfactionSurvey.objects.get_or_create(
        conversation=conversation,
        resolved_at=conversation.resolved_at,
        defaults={
            "customer_id": conversation.customer_id,
            "team_id": conversation.team_id,
            "agent_id": conversation.assignee_id or (by.pk if by else None),
            "send_after": conversation.resolved_at
            + timedelta(minutes=settings.COMPTOIR_SURVEY_DELAY_MINUTES),
        },
    )
    return survey


def send_due_surveys(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send every planned survey whose time has come, then alert teams of unhappy answers
    not alerted yet; idempotent. Return how many surveys were handled."""
    now = now or timezone.now()
    due = list(
        SatisfactionSurvey.objects.filter(status=Status.SCHEDULED, send_after__lte=now)
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for survey_id in due:
        try:
            send_survey(survey_id, now=now)
        except Exception:
            # Rolled back, so still planned: the next sweep tries again.
            logger.exception("survey %s could not be sent; retried at the next sweep", survey_id)
    alert_pending_teams()
    return len(due)


@transaction.atomic
def send_survey(survey_id: int, *, now: datetime | None = None) -> str:
    """Send one planned survey if it is due and nobody else took it, or record why it does
    not go; return its status.

    The claim (scheduled -> sent) and the outbound message are one transaction: a failure
    leaves the survey planned, and a second worker finds it claimed, so it goes once.
    """
    now = now or timezone.now()
    claimed = SatisfactionSurvey.objects.filter(
        pk=survey_id, status=Status.SCHEDULED, send_after__lte=now
    ).update(status=Status.SENT, sent_at=now, updated_at=now)
    survey = SatisfactionSurvey.objects.select_related("conversation__customer", "customer").get(
        pk=survey_id
    )
    if claimed != 1:
        return survey.status
    reason = reason_not_to_send(survey, now=now)
    if reason:
        survey.status, survey.skip_reason, survey.sent_at = Status.SKIPPED, reason, None
        survey.save(update_fields=["status", "skip_reason", "sent_at", "updated_at"])
        return survey.status
    # Auto-submitted: the customer's autoresponder must not answer it, and an out-of-office
    # coming back would otherwise read as the customer writing again.
    survey.message = conversations.send_email_message(
        conversation=survey.conversation,
        text=survey_email_text(survey),
        author=None,
        auto_submitted=True,
    )
    survey.save(update_fields=["message", "updated_at"])
    return survey.status


def reason_not_to_send(survey: SatisfactionSurvey, *, now: datetime) -> str:
    """Return why this survey must not go now (a SkipReason), or "" if it may."""
    conversation = survey.conversation
    if not settings.COMPTOIR_SURVEYS_ENABLED:
        return SkipReason.DISABLED
    if conversation.status not in STILL_RESOLVED or conversation.resolved_at != survey.resolved_at:
        return SkipReason.REOPENED
    last_email = (
        conversation.messages.filter(
            direction=Message.Direction.INBOUND, channel=Conversation.Channel.EMAIL
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if last_email is not None and last_email.auto_submitted:
        return SkipReason.AUTO_SUBMITTED
    quiet_since = now - timedelta(days=settings.COMPTOIR_SURVEY_INTERVAL_DAYS)
    recently_surveyed = (
        SatisfactionSurvey.objects.filter(customer_id=survey.customer_id, sent_at__gte=quiet_since)
        .exclude(pk=survey.pk)
        .exists()
    )
    if recently_surveyed:
        return SkipReason.RECENTLY_SURVEYED
    try:
        conversations.customer_email_for_reply(conversation)
    except conversations.ConversationError:
        return SkipReason.NO_EMAIL
    return ""


def customer_language(survey: SatisfactionSurvey) -> str:
    language = survey.customer.language
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def survey_email_text(survey: SatisfactionSurvey) -> str:
    """Return the survey email, in the customer's language: one question, five links."""
    first_name = survey.customer.first_name
    with translation.override(customer_language(survey)):
        greeting = (
            gettext("Hello %(name)s,") % {"name": first_name} if first_name else gettext("Hello,")
        )
        question = gettext(
            "Your request %(reference)s is resolved. What do you think of our answer? "
            "One click is enough:"
        ) % {"reference": survey.conversation.reference}
        choices = [
            gettext("%(label)s: %(url)s") % {"label": label, "url": survey_url(survey, value)}
            for value, label in Rating.choices
        ]
        closing = gettext(
            "You can then leave us a comment if you wish. This link is valid for %(days)s days."
        ) % {"days": settings.COMPTOIR_SURVEY_LINK_DAYS}
        signature = gettext("Thank you for helping us do better,\n%(team)s") % {
            "team": settings.COMPTOIR_SUPPORT_NAME
        }
    return "\n\n".join([greeting, question, "\n".join(choices), closing, signature])


# --- Answers -----------------------------------------------------------------------------


def record_rating(*, survey: SatisfactionSurvey, rating: int, comment: str = "") -> bool:
    """Record the customer's answer; return False if the survey was already answered.

    The first answer counts (the KPIs count one `satisfaction_rated` event per survey). An
    unhappy one (2 or less) reopens the conversation, flags it and alerts the team's leads.
    """
    if rating not in Rating.values:
        raise SurveyError(f"Unknown rating: {rating}")
    now = timezone.now()
    with transaction.atomic():
        answered = SatisfactionSurvey.objects.filter(
            pk=survey.pk, status=Status.SENT, answered_at__isnull=True
        ).update(
            rating=rating,
            comment=comment.strip()[:COMMENT_MAX_LENGTH],
            answered_at=now,
            updated_at=now,
        )
        if answered != 1:
            return False
        survey.refresh_from_db()
        conversation = Conversation.objects.select_for_update().get(pk=survey.conversation_id)
        conversations.record_event(
            conversation=conversation,
            kind=ConversationEvent.Kind.SATISFACTION_RATED,
            at=now,
            rating=rating,
            satisfied=rating >= SATISFIED_FROM,
        )
        if survey.is_unhappy:
            reopen_for_unhappy_customer(survey, conversation)
    return True


def reopen_for_unhappy_customer(survey: SatisfactionSurvey, conversation: Conversation) -> None:
    """Reopen the conversation (its SLA clock runs again), flag it, and have the team's
    leads emailed once the answer is committed."""
    # The customer says it is not solved: the same path as an agent reopening it.
    conversations.change_status(conversation=conversation, status=Conversation.Status.OPEN)
    with translation.override(settings.LANGUAGE_CODE):
        reason = gettext("Unhappy customer: rated %(rating)s/5 in the satisfaction survey") % {
            "rating": survey.rating
        }
    conversations.flag_conversation(conversation=conversation, reason=reason)

    def wake_worker() -> None:
        from comptoir.surveys.tasks import alert_team_task

        alert_team_task.enqueue(survey.pk)

    transaction.on_commit(wake_worker)


def update_comment(*, survey: SatisfactionSurvey, comment: str) -> None:
    """Replace the comment of an answered survey (the rating stays as first given)."""
    if not survey.is_answered:
        raise SurveyError("The survey is not answered yet.")
    survey.comment = comment.strip()[:COMMENT_MAX_LENGTH]
    survey.save(update_fields=["comment", "updated_at"])


# --- Alerting the team of an unhappy customer ------------------------------------------


def alert_pending_teams() -> int:
    """Email the leads about each unhappy answer not emailed yet; return how many were sent."""
    pending = SatisfactionSurvey.objects.filter(
        answered_at__isnull=False, rating__lte=UNHAPPY_UP_TO, team_alerted_at__isnull=True
    ).values_list("pk", flat=True)
    return sum(alert_team(survey_id) for survey_id in list(pending))


def alert_team(survey_id: int) -> bool:
    """Email the team's leads (or members, and its alert address) about an unhappy answer,
    once. Like an SLA alert, it is an internal note to agents: Django's email backend, not
    the dispatcher of customer messages."""
    claimed = SatisfactionSurvey.objects.filter(
        pk=survey_id, rating__lte=UNHAPPY_UP_TO, team_alerted_at__isnull=True
    ).update(team_alerted_at=timezone.now())
    if claimed != 1:
        return False  # Another worker is sending it, or it went already.
    survey = SatisfactionSurvey.objects.select_related(
        "team", "conversation__team", "conversation__customer"
    ).get(pk=survey_id)
    team = survey.conversation.team or survey.team or ensure_default_team()
    recipients = teams.list_alert_recipients(team)
    if not recipients:
        logger.info("unhappy survey %s: team %s has nobody to email", survey_id, team)
        return False
    subject, body = alert_email_text(survey)
    try:
        send_mail(subject, body, settings.COMPTOIR_SUPPORT_ADDRESS, recipients)
    except Exception:
        logger.exception("unhappy survey %s could not be emailed; retried by the sweep", survey_id)
        SatisfactionSurvey.objects.filter(pk=survey_id).update(team_alerted_at=None)
        return False
    return True


def alert_email_text(survey: SatisfactionSurvey) -> tuple[str, str]:
    conversation = survey.conversation
    url = settings.PUBLIC_URL + reverse("conversations:detail", args=[conversation.pk])
    with translation.override(settings.LANGUAGE_CODE):
        subject = gettext("Unhappy customer: %(reference)s %(subject)s") % {
            "reference": conversation.reference,
            "subject": conversation.subject,
        }
        body = gettext(
            "The customer rated our answer %(rating)s/5 (%(label)s) in the satisfaction "
            "survey. The conversation has been reopened.\n\n"
            "Conversation: %(reference)s %(subject)s\nCustomer: %(customer)s\n"
            "Comment: %(comment)s\n\n%(url)s\n"
        ) % {
            "rating": survey.rating,
            "label": survey.get_rating_display(),
            "reference": conversation.reference,
            "subject": conversation.subject,
            "customer": conversation.customer.display_name,
            "comment": survey.comment or "—",
            "url": url,
        }
    return subject[:200].replace("\n", " "), body
