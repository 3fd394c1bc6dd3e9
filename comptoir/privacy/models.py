"""Data protection: the audit log of personal-data actions, merges that can be undone, pairs
judged not to be duplicates, and retention rules.

None of these rows holds a foreign key to `Customer`: they must outlive the record they speak
of (an erased or merged customer), and erasure must not have to rewrite them.
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Who viewed, exported, merged or erased a customer record, and when.

    `details` holds counts and ids only, never personal data, so that the log can be kept
    after the person is erased.
    """

    class Action(models.TextChoices):
        VIEWED = "viewed", _("Viewed")
        EXPORTED = "exported", _("Exported")
        MERGED = "merged", _("Merged")
        UNMERGED = "unmerged", _("Merge undone")
        ERASED = "erased", _("Erased")
        ANONYMISED = "anonymised", _("Anonymised by a retention rule")

    class ActorKind(models.TextChoices):
        AGENT = "agent", _("Agent")
        API_TOKEN = "api_token", _("API token")
        SYSTEM = "system", _("System")

    actor_kind = models.CharField(_("actor kind"), max_length=16, choices=ActorKind.choices)
    # The agent's username or the API token's name, as they were at the time.
    actor = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    customer_id = models.BigIntegerField(_("customer"), db_index=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["customer_id", "-at"], name="audit_customer_recent")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} #{self.customer_id}"


class MergeRecord(models.Model):
    """Two customer records made one, with what is needed to undo it exactly.

    `snapshot` is the merged customer as it was (Django's serialised form) and the rows that
    could not move because the kept record already had their equivalent; `moved` lists, per
    model and field, the primary keys moved to the kept record; `kept_before` the kept
    record's fields that were empty and were filled from the merged one. Erasing either
    person empties the snapshot, and the merge can no longer be undone.
    """

    kept_id = models.BigIntegerField(_("kept customer"), db_index=True)
    merged_id = models.BigIntegerField(_("merged customer"), db_index=True)
    merged_by = models.CharField(_("merged by"), max_length=150)
    merged_at = models.DateTimeField(_("merged at"), default=timezone.now)
    snapshot = models.JSONField(default=dict, blank=True)
    moved = models.JSONField(default=list, blank=True)
    kept_before = models.JSONField(default=dict, blank=True)
    undone_by = models.CharField(_("undone by"), max_length=150, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.merged_id} → #{self.kept_id}"

    @property
    def can_be_undone(self) -> bool:
        return self.undone_at is None and bool(self.snapshot)

    @property
    def moved_count(self) -> int:
        return sum(len(entry["pks"]) for entry in self.moved)


class DismissedDuplicate(models.Model):
    """A pair of customers an admin judged to be two different people: not proposed again."""

    # The lower id first, so that a pair has one row whichever way it was found.
    first_id = models.BigIntegerField()
    second_id = models.BigIntegerField()
    dismissed_by = models.CharField(max_length=150)
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dismissed duplicate")
        verbose_name_plural = _("dismissed duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first_id", "second_id"], name="dismissed_pair_unique"),
            models.CheckConstraint(
                condition=models.Q(first_id__lt=models.F("second_id")), name="dismissed_pair_order"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.first_id} ≠ #{self.second_id}"


class RetentionRule(models.Model):
    """Customers who have not interacted for a period are anonymised by the worker."""

    class AppliesTo(models.TextChoices):
        # Never bought: the CNIL keeps a prospect's data three years after the last contact.
        PROSPECTS = "prospects", _("Prospects (no purchase)")
        # Bought, but the last purchase is older than the period too.
        CUSTOMERS = "customers", _("Former customers (last purchase older than the period)")

    name = models.CharField(_("name"), max_length=100)
    applies_to = models.CharField(_("applies to"), max_length=16, choices=AppliesTo.choices)
    # Under a month would anonymise people still in the middle of a conversation.
    inactive_days = models.PositiveIntegerField(
        _("days without interaction"), default=3 * 365, validators=[MinValueValidator(30)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")

    def __str__(self) -> str:
        return self.name
