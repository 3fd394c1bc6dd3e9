from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundEmail(models.Model):
    """A raw email as received, kept whole; it is committed before the sender is told 250."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Could not be processed")

    # "mid:<Message-ID>" or, without one, "sha256:<hash of the raw bytes>": a second copy of
    # the same message (a retry, an import run twice) hits this constraint and is not stored.
    dedupe_key = models.CharField(max_length=1000, unique=True)
    message_id = models.CharField(max_length=998, blank=True)
    source = models.CharField(max_length=200, help_text="smtp, lmtp, imap:<mailbox>, import")
    envelope_from = models.CharField(max_length=998, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")

    def __str__(self) -> str:
        return f"{self.source} {self.message_id or self.dedupe_key}"


class Mailbox(models.Model):
    """An IMAP mailbox polled for customer mail."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    use_ssl = models.BooleanField(_("TLS"), default=True)
    username = models.CharField(_("username"), max_length=255)
    # Secrets come from the environment: this names the variable holding the password.
    password_env = models.CharField(
        _("password environment variable"), max_length=100, default="COMPTOIR_IMAP_PASSWORD"
    )
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    # Where a message goes once its conversation is committed; empty means flag it \Seen.
    processed_folder = models.CharField(_("processed folder"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("IMAP mailbox")
        verbose_name_plural = _("IMAP mailboxes")

    def __str__(self) -> str:
        return self.name


class AutoReplyLog(models.Model):
    """Automatic answers sent, per sender: the rate limit that stops mail loops reads it."""

    address = models.CharField(max_length=320, db_index=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
