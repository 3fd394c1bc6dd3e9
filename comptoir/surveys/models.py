"""The satisfaction survey (CSAT) a customer receives after a conversation is resolved."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.core.models import TimeStampedModel


class Rating(models.IntegerChoices):
    """The one question of the survey, on a five-point scale; 4 and 5 count as satisfied."""

    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    NEUTRAL = 3, _("Neither satisfied nor dissatisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")


# The KPIs count a rating of 4 or 5 as satisfied; 2 or less reopens the conversation.
SATISFIED_FROM = 4
UNHAPPY_UP_TO = 2


class SatisfactionSurvey(TimeStampedModel):
    """One survey about one resolution of a conversation: scheduled, then sent or skipped.

    The row is the work: the sweep sends it once `send_after` has passed, unless something
    since then says it should not go (see `SkipReason`).
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("survey", "Scheduled")
        SENT = "sent", pgettext_lazy("survey", "Sent")
        SKIPPED = "skipped", pgettext_lazy("survey", "Not sent")

    class SkipReason(models.TextChoices):
        DISABLED = "disabled", _("Surveys are turned off")
        REOPENED = "reopened", _("The conversation was reopened")
        NO_EMAIL = "no_email", _("The customer has no email address")
        AUTO_SUBMITTED = "auto_submitted", _("The last email was sent by a robot")
        RECENTLY_SURVEYED = "recently_surveyed", _("The customer was surveyed recently")

    conversation = models.ForeignKey(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        related_name="satisfaction_surveys",
        verbose_name=_("conversation"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="satisfaction_surveys",
        verbose_name=_("customer"),
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="satisfaction_surveys",
        verbose_name=_("team"),
    )
    # Who handled the conversation: its assignee when it was resolved, else who resolved it.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="satisfaction_surveys",
        verbose_name=_("agent"),
    )
    # The resolution this survey asks about: one survey per resolution.
    resolved_at = models.DateTimeField(_("resolved"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    skip_reason = models.CharField(
        _("reason not sent"), max_length=32, choices=SkipReason.choices, blank=True
    )
    send_after = models.DateTimeField(_("send after"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    message = models.ForeignKey(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("email"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), choices=Rating.choices, null=True, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)
    # An unhappy answer is emailed to the team's leads once; cleared again if that failed.
    team_alerted_at = models.DateTimeField(_("team alerted"), null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "resolved_at"], name="survey_once_per_resolution"
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "send_after"], name="survey_status_due"),
            models.Index(fields=["customer", "sent_at"], name="survey_customer_sent"),
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.get_status_display()}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def is_unhappy(self) -> bool:
        return self.rating is not None and self.rating <= UNHAPPY_UP_TO
