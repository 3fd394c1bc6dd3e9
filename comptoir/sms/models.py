"""What the SMS channel keeps: each SMS handed to the provider, and each SMS received."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SmsSend(models.Model):
    """The SMS of one delivery: what it costs, and what the provider made of it.

    Written before the request leaves, so that a worker that dies mid-request leaves a trace:
    a retry that finds a send still "requesting" does not send again (see adapter.py).
    """

    class State(models.TextChoices):
        REQUESTING = "requesting", _("Handed to the provider, no answer yet")
        ACCEPTED = "accepted", _("Accepted by the provider")
        NOT_SENT = "not_sent", _("Not sent")

    delivery = models.OneToOneField(
        "messaging.Delivery",
        on_delete=models.CASCADE,
        related_name="sms_send",
        verbose_name=_("delivery"),
    )
    # In E.164, as the provider got it.
    to = models.CharField(_("to"), max_length=32)
    encoding = models.CharField(_("encoding"), max_length=8)
    segments = models.PositiveSmallIntegerField(_("segments"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    # Twilio's Message SID ("SM…"), which its status callbacks name.
    provider_sid = models.CharField(_("provider id"), max_length=64, blank=True, db_index=True)
    # Twilio's own word: queued, sent, delivered, undelivered, failed…
    provider_status = models.CharField(_("provider status"), max_length=32, blank=True)
    error_code = models.CharField(_("error code"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SMS sent")
        verbose_name_plural = _("SMS sent")

    def __str__(self) -> str:
        return f"{self.to} {self.provider_status or self.state}"


class InboundSms(models.Model):
    """An SMS a customer sent us: a STOP request, or a message.

    Conversations have no SMS channel yet, so a message is kept here (with the customer the
    number belongs to) rather than opening a conversation.
    """

    class Kind(models.TextChoices):
        STOP = "stop", _("Stop request")
        MESSAGE = "message", _("Message")

    # Twilio's Message SID: Twilio retries a webhook it got no answer to, we record it once.
    provider_sid = models.CharField(_("provider id"), max_length=64, unique=True)
    from_number = models.CharField(_("from"), max_length=32, db_index=True)
    to_number = models.CharField(_("to"), max_length=32)
    body = models.TextField(_("text"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_sms",
        verbose_name=_("customer"),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("SMS received")
        verbose_name_plural = _("SMS received")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_number} {self.kind}"
