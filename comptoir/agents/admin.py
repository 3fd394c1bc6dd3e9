from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from comptoir.agents.models import Agent, ApiToken


@admin.register(Agent)
class AgentAdmin(UserAdmin):
    list_display = (
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "availability",
        "last_seen_at",
        "is_active",
    )
    list_filter = ("role", "availability", "is_active", "is_staff")
    readonly_fields = ("last_seen_at",)
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("Comptoir"), {"fields": ("role", "availability", "last_seen_at")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Comptoir"), {"fields": ("first_name", "last_name", "email", "role")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    # Tokens are created with `comptoir create-api-token`, the only place the secret is shown;
    # here they can be read and revoked.
    list_display = ("name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("name", "prefix", "scopes", "created_by", "created_at", "last_used_at")
    exclude = ("token_hash",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
