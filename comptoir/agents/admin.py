from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from comptoir.agents.models import Agent


@admin.register(Agent)
class AgentAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "email", "role", "is_active")
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (
        *UserAdmin.fieldsets,
        (_("Comptoir"), {"fields": ("role",)}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Comptoir"), {"fields": ("first_name", "last_name", "email", "role")}),
    )
