from django.contrib import admin

from comptoir.collaboration.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "conversation", "actor", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "conversation", "message", "actor"]
    date_hierarchy = "created_at"
