from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.consents.models import Purpose
from comptoir.consents.rules import Reason


class Delivery(models.Model):
    """One outbound send of one message to one recipient, and what became of it."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # The consent rules or the suppression list stopped it; it is never sent.
        REFUSED = "refused", _("Refused")

    message = models.ForeignKey(
        "conversations.Message", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=16, default="email")
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.SERVICE)
    recipient = models.CharField(max_length=320)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    refusal_reason = models.CharField(max_length=32, choices=Reason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            # One message is sent once to one recipient on one channel, whatever retries do.
            models.UniqueConstraint(
                fields=["message", "channel", "recipient"], name="delivery_once_per_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.status}"
