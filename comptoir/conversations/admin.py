from django.contrib import admin

from comptoir.conversations.models import Attachment, CallbackRequest, Conversation, Message


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ("direction", "author", "from_address", "subject", "text", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("author", "customer", "raw_email")
    show_change_link = True


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "subject",
        "customer",
        "status",
        "assignee",
        "last_message_at",
        "sla_due_at",
        "needs_attention",
    )
    list_filter = ("status", "team", "needs_attention", "channel")
    search_fields = ("subject", "customer__first_name", "customer__last_name")
    raw_id_fields = ("customer", "assignee")
    # The SLA clock is kept by the services (and repaired by the sweep), not typed in.
    readonly_fields = (
        "first_response_due_at", "resolution_due_at", "sla_due_at", "sla_paused_at", "sla_paused_for",
    )
    list_select_related = ("customer", "assignee")
    inlines = [MessageInline]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    readonly_fields = ("filename", "content_type", "declared_type", "size", "too_large")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "direction", "from_address", "subject", "created_at")
    list_filter = ("direction", "channel", "auto_submitted")
    search_fields = ("subject", "from_address", "message_id")
    raw_id_fields = ("conversation", "author", "customer", "raw_email")
    list_select_related = ("conversation",)
    inlines = [AttachmentInline]


@admin.register(CallbackRequest)
class CallbackRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "phone_number", "due_at", "status", "team", "conversation", "done_by")
    list_filter = ("status", "team")
    search_fields = ("phone_number",)
    raw_id_fields = ("conversation", "requested_by", "done_by")
