from django.contrib import admin

from comptoir.customers.models import (
    BusinessEvent,
    Customer,
    CustomField,
    Identity,
    ProfileChange,
    RequiredProfileField,
    Segment,
    Store,
)


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "market", "language", "store", "created_at")
    list_filter = ("kind", "market", "age_bracket", "store")
    search_fields = ("first_name", "last_name", "company_name", "identities__value")
    raw_id_fields = ("company",)
    inlines = [IdentityInline]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        # display_name reads the identities: fetch them with the page, not once per row.
        return super().get_queryset(request).select_related("store").prefetch_related("identities")


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "network", "customer")
    list_filter = ("kind", "network")
    search_fields = ("value",)
    raw_id_fields = ("customer",)


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "phone")
    search_fields = ("name", "city")


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ("label", "name", "type", "required_for_completeness", "position")
    list_editable = ("required_for_completeness", "position")


@admin.register(RequiredProfileField)
class RequiredProfileFieldAdmin(admin.ModelAdmin):
    list_display = ("__str__",)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    raw_id_fields = ("customers",)


@admin.register(BusinessEvent)
class BusinessEventAdmin(admin.ModelAdmin):
    list_display = ("kind", "customer", "occurred_at", "source", "external_id", "amount")
    list_filter = ("kind", "source")
    search_fields = ("external_id",)
    raw_id_fields = ("customer",)


@admin.register(ProfileChange)
class ProfileChangeAdmin(admin.ModelAdmin):
    list_display = ("customer", "source", "created_at")
    list_filter = ("source",)
    raw_id_fields = ("customer", "agent")
    readonly_fields = ("customer", "source", "changes", "agent", "created_at")
