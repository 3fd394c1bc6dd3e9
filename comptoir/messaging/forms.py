"""Forms of the message pages: the template editor, the test send, the outbound log and the
send to one customer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.messaging.models import Delivery, MessageBlock, MessageTemplate
from comptoir.messaging.rendering import TemplateError, check_template_source


def validate_template(source: str) -> None:
    try:
        check_template_source(source)
    except TemplateError as error:
        raise forms.ValidationError(str(error)) from error


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["name", "slug", "kind", "channel", "subject", "body", "sms_text", "sample_event"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
            "sms_text": forms.Textarea(attrs={"rows": 3}),
            # A letter template is printed, never emailed; an email template may also have an
            # SMS text, for customers who prefer SMS.
            "channel": forms.Select(choices=[("email", _("Email")), ("letter", _("Letter"))]),
        }
        help_texts = {
            "sms_text": _(
                "Optional: the message as an SMS, for customers who prefer SMS. "
                "Placeholders as in the body."
            )
        }

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"]
        validate_template(subject)
        return subject

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        validate_template(body)
        return body

    def clean_sms_text(self) -> str:
        text = self.cleaned_data["sms_text"]
        validate_template(text)
        return text


class MessageBlockForm(forms.ModelForm):
    class Meta:
        model = MessageBlock
        fields = ["name", "description", "body"]

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        validate_template(body)
        return body


class PreviewDraftForm(forms.Form):
    """An edit not saved yet, previewed as it stands."""

    subject = forms.CharField(max_length=300)
    body = forms.CharField()


class TestSendForm(forms.Form):
    to = forms.EmailField(label=_("Internal address"))
    customer = forms.IntegerField(widget=forms.HiddenInput)


class DeliveryFilterForm(forms.Form):
    """The outbound log's filters; an unknown value is ignored, never an error."""

    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Delivery.Status.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[
            ("", _("Any channel")),
            ("email", _("Email")),
            ("sms", _("SMS")),
            ("letter", _("Letter")),
        ],
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", _("Any reason")), *Delivery._meta.get_field("refusal_reason").choices],
    )
    q = forms.CharField(label=_("Recipient"), required=False, max_length=200)
    # Set by a campaign's report page ("see the deliveries"); a number, not a list to choose.
    campaign = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class SendToCustomerForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=MessageTemplate.objects.none(), empty_label=None
    )
    # Set when the form is shown: a double click or a resubmitted page sends once.
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: object, templates: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]
