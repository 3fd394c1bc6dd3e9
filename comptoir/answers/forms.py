"""Forms of ready answers: the admin's, which refuse a placeholder that would not be replaced."""

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.answers import placeholders
from comptoir.answers.models import AutoAnswerRule, CannedResponse, Macro


def check_placeholders(text: str) -> str:
    unknown = placeholders.find_unknown(text)
    if unknown:
        raise forms.ValidationError(
            _("Unknown placeholders: %(unknown)s. Available: %(names)s."),
            code="unknown_placeholder",
            params={
                "unknown": ", ".join(unknown),
                "names": ", ".join(f"{{{{ {p.name} }}}}" for p in placeholders.PLACEHOLDERS),
            },
        )
    return text.replace("\r\n", "\n")


class CannedResponseForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ["title", "body", "category", "team", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12, "cols": 80})}

    def clean_body(self) -> str:
        return check_placeholders(self.cleaned_data["body"])


class MacroForm(forms.ModelForm):
    class Meta:
        model = Macro
        fields = [
            "name",
            "team",
            "is_active",
            "set_status",
            "move_to_team",
            "tags_to_add",
            "tags_to_remove",
            "canned_response",
            "response_action",
            "note",
        ]

    def clean_note(self) -> str:
        return check_placeholders(self.cleaned_data["note"])


class AutoAnswerRuleForm(forms.ModelForm):
    class Meta:
        model = AutoAnswerRule
        fields = ["name", "position", "is_active", "category", "keywords", "segment", "canned_response"]
