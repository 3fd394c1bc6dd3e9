from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from comptoir.routing.models import RoutingDecision, RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "priority",
        "name",
        "is_active",
        "category",
        "level",
        "channel",
        "segment",
        "vip_only",
        "team",
    )
    list_display_links = ("name",)
    list_editable = ("priority", "is_active")
    list_filter = ("is_active", "team", "category", "level", "channel")
    list_select_related = ("segment", "team")
    search_fields = ("name", "keywords")
    fieldsets = (
        (None, {"fields": ("name", "priority", "is_active")}),
        (
            _("Conditions (all must hold; an empty one matches anything)"),
            {"fields": ("category", "level", "channel", "segment", "vip_only", "keywords")},
        ),
        (_("Action"), {"fields": ("team",)}),
    )


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(admin.ModelAdmin):
    # Written by routing only; shown to answer "why is this conversation in that team?".
    list_display = ("conversation", "team", "rule", "routed_at")
    list_filter = ("team", "rule")
    list_select_related = ("conversation", "team", "rule")
    raw_id_fields = ("conversation",)
    readonly_fields = ("conversation", "team", "rule", "routed_at")
    exclude = ("batch",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
