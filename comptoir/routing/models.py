"""Routing rules (which team a conversation goes to) and the decision taken for each one."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.conversations.models import Conversation
from comptoir.core.models import TimeStampedModel
from comptoir.sorting.models import Category, Level

# The segment that makes a customer a VIP for the rules' "VIP customer" condition. Customers
# have no VIP flag: membership of this segment (created by a migration) is the flag.
VIP_SEGMENT_NAME = "VIP"


class RoutingRule(TimeStampedModel):
    """Send the conversations matching every condition set here to a team.

    Rules are tried by priority (lowest first) and the first match wins; an empty condition
    matches anything. With no match the conversation stays in the default team.
    """

    name = models.CharField(_("name"), max_length=120)
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Rules are tried from the lowest number up.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    category = models.CharField(
        _("category"), max_length=32, choices=Category.choices, blank=True
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Conversation.Channel.choices, blank=True
    )
    segment = models.ForeignKey(
        "customers.Segment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("customer segment"),
    )
    vip_only = models.BooleanField(
        _("VIP customers only"),
        default=False,
        help_text=_("Customers in the segment named “VIP” (create it among the segments)."),
    )
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_(
            "One per line (or separated by commas); any of them in the subject or the "
            "customer's first message matches, regardless of case and accents."
        ),
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        related_name="routing_rules",
        verbose_name=_("send to team"),
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return self.name


class RoutingDecision(models.Model):
    """Where routing sent a conversation, and by which rule (None: the default team).

    One row per conversation: inserting it is the claim, so that two workers classifying the
    same batch route each conversation once. A manager's correction of the classification
    re-routes the conversation and updates the row.
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="routing_decision"
    )
    rule = models.ForeignKey(
        RoutingRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("rule"),
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("team"),
    )
    routed_at = models.DateTimeField(_("routed at"))
    # Which call inserted the row: a batch reads back the rows it won (see services).
    batch = models.UUIDField(editable=False)

    class Meta:
        verbose_name = _("routing decision")
        verbose_name_plural = _("routing decisions")
        indexes = [models.Index(fields=["batch"], name="routing_decision_batch")]

    def __str__(self) -> str:
        return f"#{self.conversation_id} → {self.team_id}"
