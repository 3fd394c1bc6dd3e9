"""A campaign: one template sent to a segment or a list, through the one sending path."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.core.models import TimeStampedModel

# Messages per minute when the campaign does not say: gentle on the receiving providers,
# which throttle or junk a new sender that bursts.
DEFAULT_RATE_PER_MINUTE = 600


class Campaign(TimeStampedModel):
    """One template sent once to every customer of a segment (or an imported list)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        # Its deliveries are being created and sent; a crash leaves it here, and the worker
        # takes it up again where it stopped.
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=200)
    template = models.ForeignKey(
        "messaging.MessageTemplate",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("template"),
    )
    # Either a segment (its members when the campaign is launched) or an uploaded list
    # (resolved to customers when uploaded, see CampaignRecipient and unknown_entries).
    segment = models.ForeignKey(
        "customers.Segment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("segment"),
    )
    list_name = models.CharField(_("uploaded list"), max_length=200, blank=True)
    # Lines of the uploaded list that name no customer: shown, never silently dropped.
    unknown_entries = models.JSONField(_("unknown entries"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # What a marketing pressure hold does to this campaign's messages: wait, or give up.
    defer_when_pressured = models.BooleanField(_("defer when pressure is too high"), default=False)
    # A marketing topic (COMPTOIR_MARKETING_TOPICS): customers who unticked it are not sent to.
    topic = models.CharField(_("topic"), max_length=64, blank=True)
    # The occasion's details the template shows as `event` (a live session's date and link).
    details = models.JSONField(_("details"), default=dict, blank=True)
    rate_per_minute = models.PositiveIntegerField(
        _("messages per minute"), default=DEFAULT_RATE_PER_MINUTE
    )
    created_by = models.ForeignKey(
        "agents.Agent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The runner's cursor: recipients go out in customer id order, and every one up to this
    # id has had its delivery recorded (in the same transaction as the cursor moved).
    last_customer_id = models.BigIntegerField(_("last customer done"), default=0)
    # The throttle: sending credit accrues from this instant at rate_per_minute.
    credit_since = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_per_minute__gte=1), name="campaign_rate_positive"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_list(self) -> bool:
        return self.segment_id is None


class CampaignRecipient(models.Model):
    """A customer the campaign is for, fixed when the list is uploaded or the segment launched.

    The snapshot keeps the order stable for the cursor and the count honest in the report,
    whatever happens to the segment while the campaign runs.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="campaign_recipients"
    )

    class Meta:
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_recipient_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.customer_id}"
