"""A campaign: one template sent to a segment or a list, through the one sending path."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.core.models import TimeStampedModel


class Campaign(TimeStampedModel):
    """One template sent once to every customer of a segment (or an imported list)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        # Its deliveries are being created and sent; a crash leaves it here, and the worker
        # takes it up again where it stopped.
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(_("name"), max_length=200)
    template = models.ForeignKey(
        "messaging.MessageTemplate",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("template"),
    )
    segment = models.ForeignKey(
        "customers.Segment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("segment"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # What a marketing pressure hold does to this campaign's messages: wait, or give up.
    defer_when_pressured = models.BooleanField(_("defer when pressure is too high"), default=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
