from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.core.models import TimeStampedModel


class Tag(models.Model):
    """A label put on conversations by agents and macros ("remboursement", "vip")."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Conversation(TimeStampedModel):
    """A request from a customer and every message exchanged about it, on any channel."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        # Logged by an agent after the fact: nothing is sent or received through Comptoir.
        PHONE = "phone", _("Phone")
        LETTER = "letter", _("Letter")
        FAX = "fax", _("Fax")

    subject = models.CharField(_("subject"), max_length=998, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="conversations"
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
        verbose_name=_("assignee"),
    )
    last_message_at = models.DateTimeField(_("last message"), null=True, db_index=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    # The last time it was resolved; cleared when the customer reopens it.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Set when something needs a human look: an unreadable email, a suspected loop.
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    attention_reason = models.CharField(max_length=200, blank=True)
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("team"),
    )
    # SLA due times, counted in the team's business hours (comptoir.sla keeps them).
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # The next due time that matters, for the inbox order and the SLA sweep: the first
    # response until it is sent, then the resolution; empty while the clock is paused.
    sla_due_at = models.DateTimeField(_("next due"), null=True, blank=True)
    # The clock stops while the conversation waits on the customer (or is resolved).
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    sla_paused_for = models.DurationField(_("SLA paused for"), default=timedelta(0))
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="conversations", verbose_name=_("tags")
    )

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["status", "-last_message_at"], name="conv_status_recent"),
            models.Index(fields=["assignee", "status"], name="conv_assignee_status"),
            models.Index(fields=["status", "sla_due_at"], name="conv_status_due"),
            models.Index(fields=["team", "status"], name="conv_team_status"),
            # The inbox's pages, read in their order from small partial indexes: a
            # `status IN (…)` list cannot use the order of a (status, …) index, so without
            # these every page of the work to do sorted all the active conversations, and
            # the resolved list skipped the recent active ones (bench/inbox.py).
            models.Index(
                fields=["sla_due_at", "resolution_due_at", "-last_message_at", "-id"],
                condition=Q(status__in=["new", "open"]),
                name="conv_active_urgency",
            ),
            # Unassigned apart: the planner cannot tell that unassigned conversations are
            # nearly all active, and the estimate that follows picked the sort.
            models.Index(
                fields=["sla_due_at", "resolution_due_at", "-last_message_at", "-id"],
                condition=Q(status__in=["new", "open"], assignee__isnull=True),
                name="conv_unassigned_urgency",
            ),
            models.Index(
                fields=["-last_message_at", "-id"],
                condition=Q(status__in=["resolved", "closed"]),
                name="conv_done_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference(self) -> str:
        """The reference shown to customers and put in reply subjects, e.g. [#1234]."""
        return f"[#{self.pk}]"


class Message(TimeStampedModel):
    """One message in a conversation: from the customer, from an agent, or an internal note."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("From the customer")
        OUTBOUND = "outbound", _("To the customer")
        INTERNAL = "internal", _("Internal note")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    channel = models.CharField(
        max_length=16, choices=Conversation.Channel.choices, default=Conversation.Channel.EMAIL
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authored_messages",
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    subject = models.CharField(max_length=998, blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    to = models.JSONField(default=list, blank=True)
    cc = models.JSONField(default=list, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    # Message-ID without angle brackets; an inbound one is unique (duplicates are dropped
    # before they get here), an outbound one is generated by us.
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="Sanitised HTML body.")
    # Only the new text of a reply, without quoted history or signature.
    reply_text = models.TextField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    auto_submitted = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="Date header of the email.")
    raw_email = models.OneToOneField(
        "mail.InboundEmail",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="message",
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="msg_conv_created")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.subject}"

    @property
    def display_text(self) -> str:
        return self.reply_text or self.text


class Attachment(TimeStampedModel):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    # The type sniffed from the content; the sender's claim is kept beside it.
    content_type = models.CharField(max_length=255)
    declared_type = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField()
    content_id = models.CharField(max_length=998, blank=True)
    is_inline = models.BooleanField(default=False)
    # Empty when the attachment was over the size limit: it is then only in the raw email.
    file = models.FileField(upload_to="attachments/%Y/%m/", blank=True)
    too_large = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.filename


class CallbackRequest(TimeStampedModel):
    """A customer to call back by a due time: a task for the phone team."""

    class Status(models.TextChoices):
        OPEN = "open", _("To call")
        DONE = "done", _("Called back")
        CANCELLED = "cancelled", _("Cancelled")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="callback_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="requested_callbacks",
        verbose_name=_("requested by"),
    )
    # E.164, as the customer's phone identities are stored.
    phone_number = models.CharField(_("phone number"), max_length=32)
    due_at = models.DateTimeField(_("call back by"))
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callback_requests",
        verbose_name=_("team"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="completed_callbacks",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("call-back request")
        verbose_name_plural = _("call-back requests")
        indexes = [models.Index(fields=["status", "due_at"], name="callback_status_due")]

    def __str__(self) -> str:
        return f"{self.phone_number} {self.due_at:%Y-%m-%d %H:%M}"


class ConversationEvent(models.Model):
    """One thing that happened to a conversation: its audit trail and the KPIs' raw facts.

    Append-only. Every service that changes a conversation records what it did here, so
    "who did what, when" is one query, and figures such as the reopen rate or the number
    of conversations forwarded to an internal service are counts of events.
    """

    class Kind(models.TextChoices):
        VIEWED = "viewed", _("Viewed")
        REPLIED = "replied", _("Replied")
        NOTE_ADDED = "note_added", _("Added a note")
        ASSIGNED = "assigned", _("Assigned")
        ROUTED = "routed", _("Routed to a team")
        STATUS_CHANGED = "status_changed", _("Changed the status")
        REOPENED = "reopened", _("Reopened")
        CONTACT_LOGGED = "contact_logged", _("Logged a contact")
        CALLBACK_REQUESTED = "callback_requested", _("Requested a call-back")
        FORWARDED = "forwarded", _("Forwarded to an internal service")
        FORWARD_ANSWERED = "forward_answered", _("Internal service answered")
        AUTO_ANSWERED = "auto_answered", _("Answered automatically")
        MACRO_APPLIED = "macro_applied", _("Applied a macro")
        SATISFACTION_RATED = "satisfaction_rated", _("Customer rated the answer")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # Empty for what the system or the customer did (routing, a reopening email).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversation_events",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    # What changed, without personal data: {"from": "open", "to": "resolved"}, a team id…
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("conversation event")
        verbose_name_plural = _("conversation events")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "at"], name="event_conv_at"),
            models.Index(fields=["kind", "at"], name="event_kind_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} #{self.conversation_id}"
