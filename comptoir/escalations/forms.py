"""Forms of forwards: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.conversations.forms import TypedText
from comptoir.escalations import queries
from comptoir.escalations.models import InternalService
from comptoir.teams.models import Team

SERVICE_PREFIX, TEAM_PREFIX = "service:", "team:"


class ForwardForm(forms.Form):
    target = forms.ChoiceField(label=_("Forward to"))
    question = forms.CharField(
        label=_("Your question"),
        widget=forms.Textarea(attrs={"rows": 4}),
        strip=False,
        help_text=_("An internal service receives it by email with the customer's messages."),
    )
    due_at = forms.DateTimeField(
        label=_("Answer expected by"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        services, teams = queries.list_forward_targets()
        self.services = {str(s.pk): s for s in services}
        self.teams = {str(t.pk): t for t in teams}
        services_by_pk = self.services.items()
        self.fields["target"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            (_("Internal services"), [(SERVICE_PREFIX + pk, str(s)) for pk, s in services_by_pk]),
            (_("Teams"), [(TEAM_PREFIX + pk, str(t)) for pk, t in self.teams.items()]),
        ]

    def clean_target(self) -> InternalService | Team:
        value: str = self.cleaned_data["target"]
        if value.startswith(SERVICE_PREFIX) and value.removeprefix(SERVICE_PREFIX) in self.services:
            return self.services[value.removeprefix(SERVICE_PREFIX)]
        if value.startswith(TEAM_PREFIX) and value.removeprefix(TEAM_PREFIX) in self.teams:
            return self.teams[value.removeprefix(TEAM_PREFIX)]
        raise forms.ValidationError(_("Choose an internal service or a team."), code="invalid")

    def clean_question(self) -> str:
        question: str = self.cleaned_data["question"].replace("\r\n", "\n")
        if not question.strip():
            raise forms.ValidationError(_("The question is empty."), code="required")
        return question


class AnswerForm(TypedText, forms.Form):
    text = forms.CharField(
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=False,
    )
