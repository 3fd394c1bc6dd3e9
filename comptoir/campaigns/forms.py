"""The form of a new campaign."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.campaigns.models import Campaign
from comptoir.consents.topics import marketing_topics
from comptoir.messaging.models import MessageTemplate

# An uploaded list above this is refused: a bigger audience belongs in a segment (import).
MAX_LIST_BYTES = 10 * 1024 * 1024


class CampaignForm(forms.ModelForm):
    recipient_list = forms.FileField(
        label=_("or a list (CSV)"),
        required=False,
        help_text=_(
            "One recipient a line: an email address or a customer number. Lines that name "
            "no customer are listed after the upload."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "template",
            "segment",
            "rate_per_minute",
            "topic",
            "defer_when_pressured",
            "details",
        ]
        labels = {"segment": _("Send to a segment")}
        help_texts = {
            "rate_per_minute": _("The campaign never goes faster than this."),
            "defer_when_pressured": _(
                "Ticked: a customer who had too many messages lately gets it later. "
                "Unticked: they do not get it."
            ),
            "details": _(
                'What the template shows as "event", in JSON: for a live session, '
                '{"session_on": "2026-12-10", "time": "18 h 30", "topic": "…", "url": "…"}.'
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A template without a live version has nothing to send.
        self.fields["template"].queryset = MessageTemplate.objects.filter(
            live_version__isnull=False
        ).order_by("name")
        self.fields["topic"] = forms.ChoiceField(
            label=_("Marketing topic"),
            required=False,
            choices=[("", _("None (every customer who accepts marketing)")), *marketing_topics()],
            help_text=_("Customers who unticked this topic in their preferences are left out."),
        )
        self.fields["details"].required = False
        self.fields["details"].widget = forms.Textarea(attrs={"rows": 4, "class": "code"})

    def clean_recipient_list(self) -> Any:
        upload = self.cleaned_data.get("recipient_list")
        if upload and upload.size > MAX_LIST_BYTES:
            raise forms.ValidationError(_("The list is larger than 10 MB: use a segment."))
        return upload

    def clean_details(self) -> Any:
        details = self.cleaned_data.get("details") or {}
        if not isinstance(details, dict):
            raise forms.ValidationError(_('Give an object, e.g. {"topic": "…"}.'))
        return details

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if bool(cleaned.get("segment")) == bool(cleaned.get("recipient_list")):
            raise forms.ValidationError(_("Choose a segment or upload a list (one of the two)."))
        return cleaned
