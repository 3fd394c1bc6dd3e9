"""Forms of the customer pages: the import upload and the customer's own completion form."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from comptoir.customers.completeness import RequiredField
from comptoir.customers.models import Customer, CustomField, RequiredProfileField, Store

Field = RequiredProfileField.Field


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("First row: column names (email, phone, first_name, last_name, …)."),
    )


def custom_form_field(custom: CustomField) -> forms.Field:
    kwargs: dict[str, Any] = {"label": custom.label, "required": False}
    if custom.type == CustomField.Type.NUMBER:
        return forms.DecimalField(**kwargs)
    if custom.type == CustomField.Type.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **kwargs)
    if custom.type == CustomField.Type.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in custom.choices)], **kwargs)
    return forms.CharField(max_length=1000, **kwargs)


def builtin_form_field(name: str, label: str) -> forms.Field:
    # Every answer is optional: the customer chooses what to share with us [002].
    if name == Field.EMAIL:
        return forms.EmailField(label=label, required=False)
    if name == Field.PHONE:
        return forms.CharField(label=label, required=False, max_length=32)
    if name == Field.STORE:
        return forms.ModelChoiceField(Store.objects.all(), label=label, required=False)
    if name == Field.LANGUAGE:
        return forms.ChoiceField(choices=[("", "—"), *settings.LANGUAGES], label=label, required=False)
    if name == Field.MARKET:
        return forms.ChoiceField(choices=[("", "—"), *Customer.Market.choices], label=label, required=False)
    if name == Field.AGE_BRACKET:
        return forms.ChoiceField(
            choices=[("", "—"), *Customer.AgeBracket.choices], label=label, required=False
        )
    return forms.CharField(label=label, required=False, max_length=150)


class CompletionForm(forms.Form):
    """The fields a customer's record lacks, and only those."""

    def __init__(self, *args: Any, missing: list[RequiredField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in missing:
            if field.custom is not None:
                self.fields[field.name] = custom_form_field(field.custom)
            else:
                self.fields[field.name] = builtin_form_field(field.name, field.label)
