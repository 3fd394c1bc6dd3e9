"""Forms of the customer pages: the import upload, the agent's profile and identity edits, the
customer's own completion form and the public sign-up form."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from comptoir.core.form_abuse import HoneypotForm
from comptoir.customers.completeness import RequiredField
from comptoir.customers.identities import InvalidIdentity, normalise_email, normalise_phone
from comptoir.customers.models import (
    Customer,
    CustomField,
    Identity,
    RequiredProfileField,
    Store,
)

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


class CompletionForm(HoneypotForm):
    """The fields a customer's record lacks, and only those."""

    def __init__(self, *args: Any, missing: list[RequiredField], **kwargs: Any) -> None:
        # Reached from a personal link: the honeypot is enough, no time trap.
        super().__init__(*args, time_trap=False, **kwargs)
        for field in missing:
            if field.custom is not None:
                self.fields[field.name] = custom_form_field(field.custom)
            else:
                self.fields[field.name] = builtin_form_field(field.name, field.label)


class SignUpForm(HoneypotForm):
    """The public sign-up: an email address, and whatever else the person chooses to give."""

    email = forms.EmailField(label=_("Email address"), max_length=254)
    # Personal details are optional: we ask only for what we need to write to them [002].
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    age_bracket = forms.ChoiceField(
        label=_("Age bracket"),
        required=False,
        choices=[("", "—"), *Customer.AgeBracket.choices],
    )
    # Unticked unless the person ticks it: a pre-ticked box is not consent (CNIL, GDPR art. 7).
    marketing = forms.BooleanField(
        label=_("I would like to receive your offers and news by email"),
        required=False,
        initial=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["phone"].widget.input_type = "tel"  # type: ignore[attr-defined]
        self.fields["marketing"].widget.attrs["aria-describedby"] = "notice"

    def clean_email(self) -> str:
        # The same check as the identities, so that an address Django accepts and
        # email-validator refuses ("x@localhost") is a form error, not a server error.
        try:
            return normalise_email(self.cleaned_data["email"])
        except InvalidIdentity:
            raise forms.ValidationError(_("Enter a valid email address.")) from None

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        if phone:
            try:
                normalise_phone(phone)
            except InvalidIdentity:
                raise forms.ValidationError(_("Enter a valid phone number.")) from None
        return phone

    def profile_questions(self) -> list[forms.BoundField]:
        return [field for field in self.visible_questions() if field.name != "marketing"]


class ProfileForm(forms.Form):
    """An agent's correction of a customer's profile on the 360 page; every field optional."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    company_name = forms.CharField(label=_("Company name"), required=False, max_length=200)

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        initial = {
            "kind": customer.kind,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "company_name": customer.company_name,
            "market": customer.market,
            "age_bracket": customer.age_bracket,
            "language": customer.language,
            "store": customer.store_id,
            **customer.custom_fields,
        }
        super().__init__(*args, initial=initial, **kwargs)
        for name in (Field.MARKET, Field.AGE_BRACKET, Field.LANGUAGE, Field.STORE):
            self.fields[name] = builtin_form_field(name, Field(name).label)
        self.custom_names = []
        for custom in CustomField.objects.all():
            self.fields[custom.name] = custom_form_field(custom)
            self.custom_names.append(custom.name)

    def profile_values(self) -> dict[str, Any]:
        """The values for customers.services.update_profile (the store goes apart)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "store"}


class IdentityForm(forms.Form):
    """An email, phone or social handle an agent adds to a customer record."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Identity.Kind.choices)
    network = forms.ChoiceField(
        label=_("Network"), choices=[("", "—"), *Identity.Network.choices], required=False
    )
    value = forms.CharField(label=_("Value"), max_length=320)
