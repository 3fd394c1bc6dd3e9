from django.contrib import admin

from comptoir.customers.models import Customer, Identity


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "language", "created_at")
    list_filter = ("kind",)
    search_fields = ("first_name", "last_name", "company_name", "identities__value")
    inlines = [IdentityInline]

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        # display_name reads the identities: fetch them with the page, not once per row.
        return super().get_queryset(request).prefetch_related("identities")


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "customer")
    list_filter = ("kind",)
    search_fields = ("value",)
    raw_id_fields = ("customer",)
