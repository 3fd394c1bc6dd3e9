from django.contrib import admin

from comptoir.messaging.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "recipient",
        "channel",
        "purpose",
        "status",
        "refusal_reason",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "purpose", "refusal_reason")
    search_fields = ("recipient",)
    raw_id_fields = ("message",)
    readonly_fields = ("created_at",)
