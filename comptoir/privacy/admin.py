from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from comptoir.privacy.models import AuditEntry, DismissedDuplicate, MergeRecord, RetentionRule


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the services only: the admin shows it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "actor_kind", "action", "customer_id")
    list_filter = ("action", "actor_kind")
    search_fields = ("=customer_id", "actor")
    date_hierarchy = "at"


@admin.register(MergeRecord)
class MergeRecordAdmin(ReadOnlyAdmin):
    list_display = ("merged_at", "merged_id", "kept_id", "merged_by", "undone_at")
    search_fields = ("=merged_id", "=kept_id")
    exclude = ("snapshot",)


@admin.register(DismissedDuplicate)
class DismissedDuplicateAdmin(ReadOnlyAdmin):
    list_display = ("first_id", "second_id", "dismissed_by", "dismissed_at")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # A mistaken dismissal is undone by deleting it.


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "applies_to", "inactive_days", "is_active", "last_run_at")
    list_filter = ("applies_to", "is_active")
    readonly_fields = ("last_run_at",)
