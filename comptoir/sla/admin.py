from django.contrib import admin

from comptoir.sla.models import SlaAlert, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "team",
        "category",
        "customer_tier",
        "first_response_target",
        "resolution_target",
    )
    list_filter = ("team",)
    search_fields = ("name", "category", "customer_tier")


@admin.register(SlaAlert)
class SlaAlertAdmin(admin.ModelAdmin):
    list_display = ("conversation", "kind", "due_at", "created_at", "emailed_at")
    list_filter = ("kind",)
    raw_id_fields = ("conversation",)
    list_select_related = ("conversation",)
    date_hierarchy = "created_at"
