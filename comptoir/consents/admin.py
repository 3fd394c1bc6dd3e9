from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from comptoir.consents.models import (
    ConsentRecord,
    NoticeVersion,
    Preference,
    PressurePolicy,
    Solicitation,
    Suppression,
)
from comptoir.consents.pressure import save_pressure_policy
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


@admin.register(PressurePolicy)
class PressurePolicyAdmin(admin.ModelAdmin):
    """The company's one policy: weights, caps, delay, threshold and quiet hours."""

    list_display = ("__str__", "score_threshold", "min_delay_hours", "quiet_from", "quiet_until")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One policy for the company: the sending path reads the first row only.
        return not PressurePolicy.objects.exists()

    def save_model(self, request: HttpRequest, obj: PressurePolicy, form: Any, change: bool) -> None:
        save_pressure_policy(policy=obj)


@admin.register(Solicitation)
class SolicitationAdmin(admin.ModelAdmin):
    """The history behind the pressure score, to read: services record it with the score."""

    list_display = ("at", "customer", "type", "kind", "source", "note")
    list_filter = ("type", "kind", "source")
    date_hierarchy = "at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
