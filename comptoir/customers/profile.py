"""The profile fields of a customer record: which exist, how values are checked and shown.

One place for the rules that the import, the API, the agent form and the customer's own
completion form all apply, so that a value refused by one is refused by all.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

from comptoir.customers.models import Customer, CustomField, Store


class InvalidValue(ValueError):
    """A profile value that the field does not accept; the message says why, in English."""


# Fields stored on Customer itself that a caller may set by name (import column, API field).
CHOICE_FIELDS: dict[str, type] = {
    "kind": Customer.Kind,
    "market": Customer.Market,
    "age_bracket": Customer.AgeBracket,
}
TEXT_FIELDS = ("first_name", "last_name", "company_name")


def clean_language(value: str) -> str:
    value = value.strip().lower()
    if value and value not in {code for code, _ in settings.LANGUAGES}:
        codes = ", ".join(dict(settings.LANGUAGES))
        raise InvalidValue(f"unknown language '{value}' (expected one of: {codes})")
    return value


CHOICE_VALUES: dict[str, list[str]] = {
    name: list(choices.values)  # type: ignore[attr-defined]
    for name, choices in CHOICE_FIELDS.items()
}


def clean_choice(name: str, value: str) -> str:
    value = value.strip().lower()
    if value and value not in CHOICE_VALUES[name]:
        expected = ", ".join(CHOICE_VALUES[name])
        raise InvalidValue(f"unknown value '{value}' (expected one of: {expected})")
    return value


def clean_custom_value(field: CustomField, raw: Any) -> Any:
    """Return the value as stored in Customer.custom_fields (JSON), or raise InvalidValue."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if field.type == CustomField.Type.NUMBER:
        try:
            number = Decimal(str(raw).strip().replace(",", "."))
        except InvalidOperation:
            raise InvalidValue(f"not a number: '{raw}'") from None
        if not number.is_finite():
            raise InvalidValue(f"not a number: '{raw}'")
        return int(number) if number == number.to_integral_value() else float(number)
    if field.type == CustomField.Type.DATE:
        if isinstance(raw, date):
            return raw.isoformat()[:10]
        text = str(raw).strip()
        for parse in (date.fromisoformat, parse_french_date):
            try:
                return parse(text[:10]).isoformat()
            except ValueError:
                continue
        raise InvalidValue(f"not a date (YYYY-MM-DD or DD/MM/YYYY): '{raw}'")
    text = str(raw).strip()
    if field.type == CustomField.Type.CHOICE and text not in field.choices:
        raise InvalidValue(f"unknown value '{text}' (expected one of: {', '.join(field.choices)})")
    if len(text) > 1000:
        raise InvalidValue("longer than 1000 characters")
    return text


def parse_french_date(text: str) -> date:
    day, month, year = text.split("/")
    return date(int(year), int(month), int(day))


def list_custom_fields() -> dict[str, CustomField]:
    return {field.name: field for field in CustomField.objects.all()}


@dataclass
class StoreLookup:
    """Find stores by name, case-insensitively, with one query for a whole import."""

    by_name: dict[str, Store]

    @classmethod
    def load(cls) -> "StoreLookup":
        return cls({store.name.casefold(): store for store in Store.objects.all()})

    def find(self, name: str) -> Store:
        store = self.by_name.get(name.strip().casefold())
        if store is None:
            raise InvalidValue(f"unknown store '{name.strip()}'")
        return store


def clean_profile(
    values: dict[str, Any], custom_fields: dict[str, CustomField] | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """Check profile values by field name.

    Returns (model field values, custom field values, errors by field name). Unknown names are
    errors; empty strings clear a field.
    """
    custom_fields = list_custom_fields() if custom_fields is None else custom_fields
    fields: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in values.items():
        try:
            if name in TEXT_FIELDS:
                text = "" if raw is None else str(raw).strip()
                if len(text) > Customer._meta.get_field(name).max_length:  # type: ignore[operator]
                    raise InvalidValue("too long")
                fields[name] = text
            elif name in CHOICE_FIELDS:
                fields[name] = clean_choice(name, "" if raw is None else str(raw))
            elif name == "language":
                fields[name] = clean_language("" if raw is None else str(raw))
            elif name in custom_fields:
                custom[name] = clean_custom_value(custom_fields[name], raw)
            else:
                raise InvalidValue(f"unknown field '{name}'")
        except InvalidValue as error:
            errors[name] = str(error)
    if fields.get("kind") == "":
        fields["kind"] = Customer.Kind.PERSON
    return fields, custom, errors


def profile_field_names(custom_fields: Iterable[str]) -> set[str]:
    return {*TEXT_FIELDS, *CHOICE_FIELDS, "language", *custom_fields}


def greeting(first_name: str) -> str:
    """The opening of a message to the customer: "Bonjour Jeanne," or, without a first name,
    "Bonjour," (never "Bonjour ," nor "Madame, Monsieur")."""
    first_name = first_name.strip()
    return f"Bonjour {first_name}," if first_name else "Bonjour,"
