from django.contrib import admin
from django.http import HttpRequest

from comptoir.surveys.models import SatisfactionSurvey


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(admin.ModelAdmin):
    list_display = [
        "conversation",
        "customer",
        "team",
        "agent",
        "status",
        "skip_reason",
        "sent_at",
        "rating",
        "answered_at",
    ]
    list_filter = ["status", "skip_reason", "rating", "team"]
    list_select_related = ["conversation", "customer", "team", "agent"]
    raw_id_fields = ["conversation", "customer", "agent", "message"]
    date_hierarchy = "resolved_at"

    # Surveys are planned by resolutions and answered by customers: the admin only reads.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
