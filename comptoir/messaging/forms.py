"""Forms of the template pages: the editor and the test send."""

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.messaging.models import MessageBlock, MessageTemplate
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
