"""Forms of the agent interface: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.agents.models import Agent
from comptoir.conversations import queries
from comptoir.conversations.models import Conversation


class TypedText:
    """Keep the text as typed, but refuse spaces only and store plain newlines.

    Browsers submit textarea line breaks as CRLF; the stored text uses LF like every
    other text in the database, and the email encoder turns them back into CRLF.
    """

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"].replace("\r\n", "\n")  # type: ignore[attr-defined]
        if not text.strip():
            raise forms.ValidationError(_("This text is empty."), code="required")
        return text


class ReplyForm(TypedText, forms.Form):
    text = forms.CharField(
        label=_("Reply to the customer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        # Whitespace is the agent's own layout: keep it as typed.
        strip=False,
    )


class NoteForm(TypedText, forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=False,
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=Agent.objects.none(),
        required=False,
        empty_label=_("Unassigned"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["assignee"].queryset = queries.list_assignable_agents()  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Conversation.Status.choices)
