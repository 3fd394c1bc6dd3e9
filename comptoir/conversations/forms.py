"""Forms of the agent interface: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.agents.models import Agent
from comptoir.conversations import queries
from comptoir.conversations.models import Conversation, Message
from comptoir.teams import queries as teams
from comptoir.teams.models import Team


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


class LogContactForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (Conversation.Channel.PHONE, _("Phone")),
            (Conversation.Channel.LETTER, _("Letter")),
            (Conversation.Channel.FAX, _("Fax")),
        ],
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[
            (Message.Direction.OUTBOUND, _("To the customer")),
            (Message.Direction.INBOUND, _("From the customer")),
        ],
    )
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000
    )


class CallbackForm(forms.Form):
    phone_number = forms.CharField(label=_("Phone number"), max_length=40)
    due_at = forms.DateTimeField(
        label=_("Call back by"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Any team")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["team"].queryset = teams.list_teams()  # type: ignore[attr-defined]
