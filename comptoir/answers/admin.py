from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from comptoir.answers import placeholders
from comptoir.answers.forms import AutoAnswerRuleForm, CannedResponseForm, MacroForm
from comptoir.answers.models import AutoAnswer, AutoAnswerRule, CannedResponse, Macro
from comptoir.conversations.models import Tag


def placeholder_help() -> str:
    return "; ".join(f"{{{{ {p.name} }}}}: {p.description}" for p in placeholders.PLACEHOLDERS)


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    form = CannedResponseForm
    list_display = ["title", "category", "team", "is_active", "updated_at"]
    list_filter = ["is_active", "category", "team"]
    search_fields = ["title", "body"]

    def get_form(self, request: HttpRequest, obj: object = None, **kwargs: object):  # type: ignore[no-untyped-def]
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["body"].help_text = _("Plain text. Placeholders: %(list)s.") % {
            "list": placeholder_help()
        }
        return form


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    form = MacroForm
    list_display = ["name", "team", "set_status", "move_to_team", "canned_response", "is_active"]
    list_filter = ["is_active", "team"]
    search_fields = ["name"]
    filter_horizontal = ["tags_to_add", "tags_to_remove"]
    autocomplete_fields = ["canned_response"]


@admin.register(AutoAnswerRule)
class AutoAnswerRuleAdmin(admin.ModelAdmin):
    form = AutoAnswerRuleForm
    list_display = ["name", "position", "category", "keywords", "segment", "canned_response", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "category"]
    autocomplete_fields = ["canned_response"]


@admin.register(AutoAnswer)
class AutoAnswerAdmin(admin.ModelAdmin):
    list_display = ["conversation", "rule", "answered_at"]
    list_select_related = ["conversation", "rule"]
    raw_id_fields = ["conversation", "message"]
    readonly_fields = ["conversation", "rule", "message", "answered_at"]

    # A record of what was sent: never typed in by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
