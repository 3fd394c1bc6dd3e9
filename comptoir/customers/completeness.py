"""Missing data: which profile fields a complete record needs, and who lacks them.

An admin marks the fields (RequiredProfileField for built-in ones, the flag on CustomField for
the others). Name fields apply to persons, the company name to companies only.
"""

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from comptoir.customers.models import Customer, CustomField, Identity, RequiredProfileField

Field = RequiredProfileField.Field
PERSON_ONLY = {Field.FIRST_NAME, Field.LAST_NAME, Field.AGE_BRACKET}
COMPANY_ONLY = {Field.COMPANY_NAME}
IDENTITY_FIELDS = {Field.EMAIL: Identity.Kind.EMAIL, Field.PHONE: Identity.Kind.PHONE}
# A completion link is personal and changes a record: it expires, unlike an unsubscribe link.
COMPLETION_SALT = "comptoir.customers.completion"
COMPLETION_MAX_AGE = 60 * 24 * 3600


@dataclass(frozen=True)
class RequiredField:
    name: str
    label: str
    custom: CustomField | None = None


def list_required_fields() -> list[RequiredField]:
    """Return the fields a complete record needs, built-in first."""
    fields = [
        RequiredField(rule.field, str(rule.get_field_display()))
        for rule in RequiredProfileField.objects.all()
    ]
    fields += [
        RequiredField(custom.name, custom.label, custom)
        for custom in CustomField.objects.filter(required_for_completeness=True)
    ]
    return fields


def applies_to(field: RequiredField, customer: Customer) -> bool:
    if field.name in PERSON_ONLY:
        return customer.kind == Customer.Kind.PERSON
    if field.name in COMPANY_ONLY:
        return customer.kind == Customer.Kind.COMPANY
    return True


def is_missing(field: RequiredField, customer: Customer) -> bool:
    """Say whether the customer lacks this field; reads prefetched identities."""
    if field.custom is not None:
        return customer.custom_fields.get(field.name) in (None, "")
    if field.name in IDENTITY_FIELDS:
        kind = IDENTITY_FIELDS[field.name]  # type: ignore[index]
        return not any(identity.kind == kind for identity in customer.identities.all())
    if field.name == Field.STORE:
        return customer.store_id is None
    value: Any = getattr(customer, field.name)
    return value in (None, "")


def missing_fields(customer: Customer, required: list[RequiredField]) -> list[RequiredField]:
    return [f for f in required if applies_to(f, customer) and is_missing(f, customer)]


def missing_condition(field: RequiredField) -> Q:
    """Return the SQL condition of a customer lacking this field."""
    if field.custom is not None:
        condition = ~Q(custom_fields__has_key=field.name) | Q(
            **{f"custom_fields__{field.name}": ""}
        )
    elif field.name in IDENTITY_FIELDS:
        kind = IDENTITY_FIELDS[field.name]  # type: ignore[index]
        condition = ~Q(Exists(Identity.objects.filter(customer=OuterRef("pk"), kind=kind)))
    elif field.name == Field.STORE:
        condition = Q(store__isnull=True)
    else:
        condition = Q(**{field.name: ""})
    if field.name in PERSON_ONLY:
        condition &= Q(kind=Customer.Kind.PERSON)
    elif field.name in COMPANY_ONLY:
        condition &= Q(kind=Customer.Kind.COMPANY)
    return condition


def list_customers_with_gaps(required: list[RequiredField]) -> QuerySet[Customer]:
    """Return the customers lacking at least one required field, newest first."""
    if not required:
        return Customer.objects.none()
    condition = Q()
    for field in required:
        condition |= missing_condition(field)
    return (
        Customer.objects.filter(condition)
        .prefetch_related("identities")
        .order_by("-created_at", "-pk")
    )


def request_profile_completion(customer: Customer) -> str:
    """Return the signed link where the customer fills in what their record lacks.

    Nothing is sent: journeys will put this link in a "missing data" message.
    """
    token = signing.TimestampSigner(salt=COMPLETION_SALT).sign(str(customer.pk))
    return settings.PUBLIC_URL + reverse("customers:complete_profile", args=[token])


def find_customer_by_completion_token(token: str) -> Customer | None:
    """Return the customer a completion link names; None if altered, unknown or expired."""
    try:
        customer_id = signing.TimestampSigner(salt=COMPLETION_SALT).unsign(
            token, max_age=COMPLETION_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return (
        Customer.objects.select_related("store")
        .prefetch_related("identities")
        .filter(pk=int(customer_id))
        .first()
    )
