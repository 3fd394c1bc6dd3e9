from django.contrib import admin

from comptoir.insights.models import QualityReview


@admin.register(QualityReview)
class QualityReviewAdmin(admin.ModelAdmin):
    list_display = [
        "conversation",
        "agent",
        "reviewer",
        "tone",
        "spelling",
        "accuracy",
        "personalisation",
        "reviewed_at",
    ]
    list_filter = ["reviewed_at"]
    raw_id_fields = ["conversation"]
    readonly_fields = ["reviewed_at"]
