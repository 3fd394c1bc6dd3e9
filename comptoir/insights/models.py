from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The grid of a quality review: each criterion is scored 1 (poor) to 4 (excellent). An even
# scale has no middle: the reviewer has to say whether the answer was good enough or not.
SCORE_MIN, SCORE_MAX = 1, 4
CRITERIA = ("tone", "spelling", "accuracy", "personalisation")


def score_field(label: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)]
    )


class QualityReview(models.Model):
    """A team lead's reading of one answered conversation, scored on the quality grid."""

    conversation = models.OneToOneField(
        "conversations.Conversation",
        on_delete=models.CASCADE,
        related_name="quality_review",
        verbose_name=_("conversation"),
    )
    # Who answered the customer, as it stood when the review was made.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quality_reviews",
        verbose_name=_("agent reviewed"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="quality_reviews_made",
        verbose_name=_("reviewer"),
    )
    tone = score_field(_("tone"))
    spelling = score_field(_("spelling"))
    accuracy = score_field(_("accuracy"))
    personalisation = score_field(_("personalisation"))
    comment = models.TextField(_("comment"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"))

    class Meta:
        verbose_name = _("quality review")
        verbose_name_plural = _("quality reviews")
        ordering = ["-reviewed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    **{f"{name}__gte": SCORE_MIN for name in CRITERIA},
                    **{f"{name}__lte": SCORE_MAX for name in CRITERIA},
                ),
                name="quality_scores_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.reviewed_at:%Y-%m-%d}"

    @property
    def average(self) -> float:
        return sum(getattr(self, name) for name in CRITERIA) / len(CRITERIA)
