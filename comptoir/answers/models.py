"""Ready answers: canned responses, macros, and the rules that answer simple requests alone."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.conversations.models import Conversation
from comptoir.core.models import TimeStampedModel
from comptoir.sorting.models import Category


class CannedResponse(TimeStampedModel):
    """A ready-written answer with placeholders ({{ prenom }}, {{ reference }}…) an agent
    inserts and edits before sending, or that an automatic-answer rule sends as it is."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Plain text. Placeholders such as {{ salutation }} or {{ reference }} are "
            "replaced when the response is used; see the list below."
        ),
    )
    # Helps the suggestions: a response of the conversation's category ranks higher.
    category = models.CharField(
        _("category"), max_length=32, choices=Category.choices, blank=True
    )
    # Empty: shared by every team.
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        verbose_name=_("team"),
        help_text=_("Empty: every team may use it."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class Macro(TimeStampedModel):
    """A named set of actions an agent applies to a conversation in one click."""

    class ResponseAction(models.TextChoices):
        INSERT = "insert", _("Insert it in the reply box")
        SEND = "send", _("Send it")

    name = models.CharField(_("name"), max_length=120)
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("team"),
        help_text=_("Empty: every team may use it."),
    )
    set_status = models.CharField(
        _("set the status"), max_length=16, choices=Conversation.Status.choices, blank=True
    )
    move_to_team = models.ForeignKey(
        "teams.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("move to team"),
    )
    tags_to_add = models.ManyToManyField(
        "conversations.Tag", blank=True, related_name="+", verbose_name=_("tags to add")
    )
    tags_to_remove = models.ManyToManyField(
        "conversations.Tag", blank=True, related_name="+", verbose_name=_("tags to remove")
    )
    canned_response = models.ForeignKey(
        CannedResponse,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("canned response"),
    )
    response_action = models.CharField(
        _("with the canned response"),
        max_length=8,
        choices=ResponseAction.choices,
        default=ResponseAction.INSERT,
    )
    note = models.TextField(
        _("internal note"), blank=True, help_text=_("Placeholders are replaced here too.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class AutoAnswerRule(TimeStampedModel):
    """Answer a simple request alone: when a new conversation matches, send a canned response.

    A rule matches on the classified category and/or keywords of the subject and first
    message, optionally only for a segment; the first active rule by position wins.
    """

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    category = models.CharField(
        _("category"), max_length=32, choices=Category.choices, blank=True
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_(
            "Comma-separated; one of them must appear in the subject or the message "
            "(case and accents ignored)."
        ),
    )
    segment = models.ForeignKey(
        "customers.Segment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only for the segment"),
    )
    canned_response = models.ForeignKey(
        CannedResponse,
        on_delete=models.PROTECT,
        related_name="auto_answer_rules",
        verbose_name=_("canned response"),
    )

    class Meta:
        verbose_name = _("automatic-answer rule")
        verbose_name_plural = _("automatic-answer rules")
        ordering = ["position", "pk"]
        constraints = [
            # A rule without a condition would answer every request.
            models.CheckConstraint(
                condition=~Q(category="") | ~Q(keywords=""),
                name="auto_answer_rule_has_condition",
                violation_error_message=_("Give a category, keywords, or both."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip() for word in self.keywords.split(",") if word.strip()]


class AutoAnswer(models.Model):
    """The automatic answer a conversation received: one at most, the database says so."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="auto_answer"
    )
    rule = models.ForeignKey(
        AutoAnswerRule, on_delete=models.SET_NULL, null=True, related_name="answers"
    )
    message = models.ForeignKey(
        "conversations.Message", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("automatic answer")
        verbose_name_plural = _("automatic answers")

    def __str__(self) -> str:
        return f"#{self.conversation_id}"
