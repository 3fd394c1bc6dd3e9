from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.customers.models import Customer


class EraseForm(forms.Form):
    """Erasure cannot be undone: the admin types the customer's name to confirm."""

    confirmation = forms.CharField(label=_("Type the customer's name to confirm"), max_length=400)

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirmation(self) -> str:
        typed = " ".join(self.cleaned_data["confirmation"].split())
        if typed.casefold() != " ".join(self.expected.split()).casefold():
            raise forms.ValidationError(_("The name typed does not match this customer."))
        return typed


class MergeForm(forms.Form):
    kept = forms.ModelChoiceField(queryset=Customer.objects.all())
    merged = forms.ModelChoiceField(queryset=Customer.objects.all())


class DismissForm(forms.Form):
    first = forms.IntegerField(min_value=1)
    second = forms.IntegerField(min_value=1)
