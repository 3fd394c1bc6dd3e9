from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.consents.models import Channel, Frequency
from comptoir.consents.topics import marketing_topics


class PreferenceForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("I agree to receive offers and news"),
        choices=[
            (Channel.EMAIL.value, _("by email")),
            (Channel.SMS.value, _("by SMS")),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    topics = forms.MultipleChoiceField(
        label=_("About"), widget=forms.CheckboxSelectMultiple, required=False
    )
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Frequency.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read per form rather than at import, so a settings override is seen.
        self.fields["topics"].choices = marketing_topics()  # type: ignore[attr-defined]
