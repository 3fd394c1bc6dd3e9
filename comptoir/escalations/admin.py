from django.contrib import admin

from comptoir.escalations.models import ForwardRequest, InternalService


@admin.register(InternalService)
class InternalServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "email")


@admin.register(ForwardRequest)
class ForwardRequestAdmin(admin.ModelAdmin):
    """Read-only: requests change through the agent interface, which records the events."""

    list_display = (
        "id",
        "conversation",
        "target",
        "internal_service",
        "team",
        "status",
        "created_at",
    )
    list_filter = ("status", "target")
    list_select_related = ("conversation", "internal_service", "team")
    raw_id_fields = ("conversation",)

    def has_add_permission(self, request) -> bool:  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False
