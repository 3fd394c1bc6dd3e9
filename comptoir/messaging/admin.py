from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from comptoir.messaging.forms import MessageBlockForm, MessageTemplateForm
from comptoir.messaging.models import (
    Bounce,
    Delivery,
    MessageBlock,
    MessageTemplate,
    MessageTemplateVersion,
    ToneCharter,
    TrackingEvent,
    TrackingPolicy,
)
from comptoir.messaging.services import (
    mark_unconfirmed_deliveries_sent,
    resend_unconfirmed_deliveries,
    save_message_template,
)


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
    search_fields = ("recipient", "provider_message_id")
    raw_id_fields = ("message",)
    readonly_fields = ("created_at",)
    actions = ("resend_unconfirmed", "mark_unconfirmed_sent")

    @admin.action(description=_("Resend the unconfirmed deliveries (they did not leave)"))
    def resend_unconfirmed(self, request: HttpRequest, queryset: Any) -> None:
        count = resend_unconfirmed_deliveries(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("%(count)s deliveries queued again.") % {"count": count})

    @admin.action(description=_("Mark the unconfirmed deliveries as sent (they did leave)"))
    def mark_unconfirmed_sent(self, request: HttpRequest, queryset: Any) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        count = mark_unconfirmed_deliveries_sent(delivery_ids=ids)
        self.message_user(request, _("%(count)s deliveries marked as sent.") % {"count": count})


@admin.register(Bounce)
class BounceAdmin(admin.ModelAdmin):
    list_display = ("received_at", "address", "kind", "status", "delivery")
    list_filter = ("kind",)
    search_fields = ("address", "status")
    raw_id_fields = ("customer", "delivery", "inbound_email")
    readonly_fields = ("received_at",)


@admin.register(TrackingPolicy)
class TrackingPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "open_tracking", "click_tracking", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row for the company (its primary key is always 1).
        return super().has_add_permission(request) and not TrackingPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TrackingEvent)
class TrackingEventAdmin(admin.ModelAdmin):
    list_display = ("at", "delivery", "kind", "url", "count", "automated", "provider")
    list_filter = ("kind", "automated", "provider")
    raw_id_fields = ("delivery",)
    readonly_fields = [field.name for field in TrackingEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ToneCharter)
class ToneCharterAdmin(admin.ModelAdmin):
    list_display = ("__str__", "subject_max_characters", "sms_max_segments", "updated_at")


class MessageTemplateVersionInline(admin.TabularInline):
    model = MessageTemplateVersion
    fields = ("number", "subject", "author", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ("name", "slug", "kind", "channel", "live_version", "updated_at")
    list_filter = ("kind", "channel")
    search_fields = ("name", "slug", "subject")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("live_version",)
    inlines = [MessageTemplateVersionInline]

    def save_model(
        self, request: HttpRequest, obj: MessageTemplate, form: Any, change: bool
    ) -> None:
        # Through the service, so that the admin's saves are versions too.
        save_message_template(
            template=obj,
            subject=obj.subject,
            body=obj.body,
            author=request.user,  # type: ignore[arg-type]
        )


@admin.register(MessageBlock)
class MessageBlockAdmin(admin.ModelAdmin):
    form = MessageBlockForm
    list_display = ("name", "description", "updated_at")
    search_fields = ("name", "description")
