from django.contrib import admin

from comptoir.letters.models import Letter


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["file", "pages", "to_sign", "rendered_at", "printed_at"]
    list_filter = ["to_sign"]
    readonly_fields = [f.name for f in Letter._meta.fields]
