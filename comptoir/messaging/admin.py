from django.contrib import admin

from comptoir.messaging.models import Bounce, Delivery, ToneCharter


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


@admin.register(Bounce)
class BounceAdmin(admin.ModelAdmin):
    list_display = ("received_at", "address", "kind", "status", "delivery")
    list_filter = ("kind",)
    search_fields = ("address", "status")
    raw_id_fields = ("customer", "delivery", "inbound_email")
    readonly_fields = ("received_at",)


@admin.register(ToneCharter)
class ToneCharterAdmin(admin.ModelAdmin):
    list_display = ("__str__", "subject_max_characters", "sms_max_segments", "updated_at")
