from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from comptoir.consents.models import ConsentRecord, NoticeVersion, Preference, Suppression
from comptoir.consents.rules import normalise_value


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    """The ledger, to read: a change of mind is recorded by a service, never edited here."""

    list_display = ("collected_at", "customer", "purpose", "channel", "status", "source")
    list_filter = ("purpose", "channel", "status", "source", "legal_basis")
    search_fields = ("customer__identities__value", "customer__last_name")
    date_hierarchy = "collected_at"
    list_select_related = ("customer",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(NoticeVersion)
class NoticeVersionAdmin(admin.ModelAdmin):
    """New versions are added; a published text is never edited, since records point to it."""

    list_display = ("name", "version", "language", "published_at")
    list_filter = ("name", "language")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return ["name", "version", "language", "text", "published_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("customer", "frequency", "topics", "updated_at")
    list_filter = ("frequency",)
    raw_id_fields = ("customer",)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("value", "channel", "reason", "created_at")
    list_filter = ("channel", "reason")
    search_fields = ("value",)

    def save_model(self, request: HttpRequest, obj: Suppression, form: Any, change: bool) -> None:
        # Stored as sends compare it: lower-cased email, E.164 phone.
        obj.value = normalise_value(obj.value, obj.channel)
        super().save_model(request, obj, form, change)
