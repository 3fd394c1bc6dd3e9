from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.core.models import TimeStampedModel


class InternalService(TimeStampedModel):
    """A department outside Comptoir that agents may forward a question to, by email.

    Only the services an admin lists here can be chosen: a forward sends the customer's
    messages out of the tool, so where they may go is decided once, not typed each time.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    email = models.EmailField(_("email address"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("internal service")
        verbose_name_plural = _("internal services")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ForwardRequest(TimeStampedModel):
    """A question about a conversation, forwarded to an internal service or a team; its answer."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the service")
        ANSWERED = "answered", pgettext_lazy("forward request", "Answered")
        CANCELLED = "cancelled", pgettext_lazy("forward request", "Cancelled")

    class Target(models.TextChoices):
        INTERNAL_SERVICE = "internal_service", _("Internal service")
        TEAM = "team", _("Team")

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="forward_requests"
    )
    # The conversation's customer, repeated so that comptoir.privacy finds these rows from
    # the model meta: the question quotes the customer, so an erasure blanks it, an export
    # includes it and a merge moves it, like every row pointing at a customer.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="forward_requests"
    )
    # Empty when a rule forwarded the conversation.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forward_requests",
        verbose_name=pgettext_lazy("forward request", "requested by"),
    )
    target = models.CharField(_("forwarded to"), max_length=16, choices=Target.choices)
    internal_service = models.ForeignKey(
        InternalService,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="forward_requests",
        verbose_name=_("internal service"),
    )
    # The address the email went to, as it was then; an answer from it is trusted by subject.
    recipient = models.EmailField(_("recipient"), blank=True)
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="forward_requests",
        verbose_name=_("team"),
    )
    question = models.TextField(_("question"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.WAITING
    )
    due_at = models.DateTimeField(_("answer expected by"), null=True, blank=True)
    # Who held the conversation before a team took it: it goes back to them when the
    # request is answered or cancelled, since the requester asked a question.
    previous_team = models.ForeignKey(
        "teams.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    previous_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The email that carried the question (an internal message of the conversation).
    sent_message = models.OneToOneField(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sent_forward",
    )
    answer = models.OneToOneField(
        "conversations.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answered_forward",
    )
    # Empty when the internal service answered by email.
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answered_forwards",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(
        pgettext_lazy("forward request", "answered at"), null=True, blank=True
    )
    # Until the agent who holds the conversation reads the answer, it is in their list.
    answer_read_at = models.DateTimeField(_("answer read at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cancelled_forwards",
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("forward request")
        verbose_name_plural = _("forward requests")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="forward_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target="internal_service", internal_service__isnull=False, team__isnull=True)
                    | Q(target="team", team__isnull=False, internal_service__isnull=True)
                ),
                name="forward_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} #{self.conversation_id} → {self.target_name}"

    @property
    def reference(self) -> str:
        """The reference put in the subject of the email to the internal service, e.g. [#F12]."""
        return f"[#F{self.pk}]"

    @property
    def target_name(self) -> str:
        target = self.internal_service if self.target == self.Target.INTERNAL_SERVICE else self.team
        return str(target) if target else ""

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.WAITING
