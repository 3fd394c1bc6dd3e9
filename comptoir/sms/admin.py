from django.contrib import admin

from comptoir.sms.models import InboundSms, SmsSend


@admin.register(SmsSend)
class SmsSendAdmin(admin.ModelAdmin):
    list_display = ["to", "segments", "encoding", "state", "provider_status", "created_at"]
    list_filter = ["state", "provider_status"]
    readonly_fields = [f.name for f in SmsSend._meta.fields]


@admin.register(InboundSms)
class InboundSmsAdmin(admin.ModelAdmin):
    list_display = ["from_number", "kind", "customer", "received_at"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in InboundSms._meta.fields]
