from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.core.models import TimeStampedModel


class SlaPolicy(TimeStampedModel):
    """Response targets, in business time, for the conversations a policy matches.

    An empty team, category or customer tier matches any; the most specific policy wins.
    Without any matching policy the default targets of the settings apply (first response
    in 2 business hours).
    """

    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("team"),
    )
    # Conversations have no category and customers no tier yet: policies can name them now,
    # and match only conversations with neither until those fields exist.
    category = models.CharField(_("category"), max_length=100, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=100, blank=True)
    first_response_target = models.DurationField(
        _("first response target"),
        default=timedelta(hours=2),
        help_text=_("In business hours, e.g. 02:00:00."),
    )
    resolution_target = models.DurationField(
        _("resolution target"),
        null=True,
        blank=True,
        help_text=_("In business hours, e.g. 24:00:00; empty for none."),
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaAlert(models.Model):
    """A due time that came near or passed: recorded once, shown to agents, emailed once."""

    class Kind(models.TextChoices):
        FIRST_RESPONSE_WARNING = "first_response_warning", _("First response due soon")
        FIRST_RESPONSE_BREACHED = "first_response_breached", _("First response overdue")
        RESOLUTION_WARNING = "resolution_warning", _("Resolution due soon")
        RESOLUTION_BREACHED = "resolution_breached", _("Resolution overdue")

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="sla_alerts"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    # Set when the email to the team is claimed; two workers never both send it.
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA alert")
        verbose_name_plural = _("SLA alerts")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "kind"], name="sla_alert_once_per_kind")
        ]
        indexes = [models.Index(fields=["emailed_at"], name="sla_alert_to_email")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.conversation_id}"

    @property
    def is_breach(self) -> bool:
        return self.kind in (self.Kind.FIRST_RESPONSE_BREACHED, self.Kind.RESOLUTION_BREACHED)
