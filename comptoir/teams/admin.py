from django.contrib import admin

from comptoir.teams.models import BusinessHours, Holiday, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    raw_id_fields = ("agent",)


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 1


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "is_default",
        "is_outsourced",
        "assignment_mode",
        "time_zone",
        "public_holidays",
        "alert_email",
    )
    list_filter = ("is_outsourced", "assignment_mode")
    search_fields = ("name",)
    inlines = [MembershipInline, BusinessHoursInline, HolidayInline]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """Company-wide closed days (no team) are entered here; a team's own in its page."""

    list_display = ("date", "name", "team")
    list_filter = ("team",)
    date_hierarchy = "date"
