"""Admin of the email channel: the IMAP mailboxes, and the raw inbound emails (read only)."""

from collections import Counter

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from comptoir.agents.models import Agent
from comptoir.conversations.models import Message
from comptoir.mail.reprocessing import reprocess_inbound_email
from comptoir.mail.models import InboundEmail, Mailbox

@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("name", "host", "folder", "is_active", "last_polled_at", "short_last_error")
    list_filter = ("is_active",)
    search_fields = ("name", "host", "username")
    # Written by the poller; an edit by hand would only hide what happened.
    readonly_fields = ("last_polled_at", "last_error")

    @admin.display(description=_("last error"), ordering="last_error")
    def short_last_error(self, mailbox: Mailbox) -> str:
        return Truncator(mailbox.last_error).chars(80)


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "source", "message_id", "status", "size_display", "attempts")
    list_filter = ("status", "source")
    search_fields = ("message_id", "envelope_from")
    ordering = ("-received_at",)
    actions = ("reprocess",)
    fields = (
        "received_at",
        "source",
        "message_id",
        "dedupe_key",
        "envelope_from",
        "envelope_to",
        "size_display",
        "raw_email_link",
        "status",
        "attempts",
        "error",
        "processed_at",
        "conversation_link",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        # A page of the list would otherwise read up to 100 whole emails of up to 40 MB each.
        return super().get_queryset(request).defer("raw")

    # The raw email is the evidence of what was received and its key to deduplication:
    # nobody adds, edits or deletes one by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        # The change permission is otherwise unused here (nothing can be edited): it is the
        # permission to reprocess.
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Reprocess"), permissions=["reprocess"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        agent = request.user if isinstance(request.user, Agent) else None
        outcomes = Counter(
            reprocess_inbound_email(inbound_id, agent=agent)
            for inbound_id in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            f"{outcomes['processed']} processed, {outcomes['failed']} still failing, "
            f"{outcomes['skipped']} skipped (already processed)",
        )

    def get_urls(self) -> list[URLPattern]:
        raw_email = path(
            "<int:object_id>/raw/",
            self.admin_site.admin_view(self.raw_email_view),
            name="mail_inboundemail_raw",
        )
        return [raw_email, *super().get_urls()]

    def raw_email_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        inbound = get_object_or_404(InboundEmail, pk=object_id)
        if not self.has_view_permission(request, inbound):
            raise PermissionDenied
        # An attachment, never shown inline: the email may hold HTML and scripts.
        return HttpResponse(
            bytes(inbound.raw),
            content_type="message/rfc822",
            headers={
                "Content-Disposition": content_disposition_header(
                    as_attachment=True, filename=f"inbound-email-{inbound.pk}.eml"
                )
            },
        )

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, inbound: InboundEmail) -> str:
        return filesizeformat(inbound.size)

    @admin.display(description=_("raw email"))
    def raw_email_link(self, inbound: InboundEmail) -> str:
        url = reverse("admin:mail_inboundemail_raw", args=[inbound.pk])
        return format_html('<a href="{}" download>{}</a>', url, f"inbound-email-{inbound.pk}.eml")

    @admin.display(description=_("conversation"))
    def conversation_link(self, inbound: InboundEmail) -> str:
        message = Message.objects.filter(raw_email=inbound).select_related("conversation").first()
        if message is None:
            return "-"
        url = reverse("admin:conversations_conversation_change", args=[message.conversation_id])
        return format_html('<a href="{}">{}</a>', url, message.conversation.reference)
