"""State changes of the customer record."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.customers.identities import (
    InvalidIdentity,
    normalise_email,
    normalise_handle,
    normalise_phone,
)
from comptoir.customers.models import BusinessEvent, Customer, Identity, ProfileChange, Store
from comptoir.customers.profile import clean_profile


class CustomerError(ValueError):
    """A change refused for a reason the caller can show (English text)."""


class InvalidProfile(CustomerError):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


class IdentityTaken(CustomerError):
    """The address, number or handle already belongs to another customer."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        super().__init__(f"{identity.value} already belongs to customer #{identity.customer_id}")


def split_name(full_name: str) -> tuple[str, str]:
    """Split a display name into first and last name, the French way "Prénom Nom"."""
    parts = full_name.replace('"', "").strip().split()
    if not parts:
        return "", ""
    if len(parts) == 1:
        return parts[0], ""
    return parts[0], " ".join(parts[1:])


def find_or_create_customer_by_email(*, address: str, name: str = "") -> Customer:
    """Return the customer who owns this email address, creating the record if none does.

    Raises InvalidIdentity if the address is not an email address.
    """
    value = normalise_email(address)
    identity = Identity.objects.select_related("customer").filter(
        kind=Identity.Kind.EMAIL, value=value
    ).first()
    if identity:
        return identity.customer
    first_name, last_name = split_name(name)
    try:
        with transaction.atomic():
            customer = Customer.objects.create(first_name=first_name, last_name=last_name)
            Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=value)
    except IntegrityError:
        # Another process created it between our read and our write.
        return Identity.objects.get(kind=Identity.Kind.EMAIL, value=value).customer
    return customer


def find_or_create_customers_by_email(senders: dict[str, str]) -> dict[str, Customer]:
    """Bulk form of find_or_create_customer_by_email, for a batch of inbound emails.

    `senders` maps normalised addresses to display names; returns address -> customer.
    A concurrent creation of the same address raises IntegrityError: the caller retries.
    """
    found = {
        identity.value: identity.customer
        for identity in Identity.objects.select_related("customer").filter(
            kind=Identity.Kind.EMAIL, value__in=list(senders)
        )
    }
    missing = [address for address in senders if address not in found]
    new_customers = Customer.objects.bulk_create(
        [Customer(**dict(zip(("first_name", "last_name"), split_name(senders[a])))) for a in missing]
    )
    Identity.objects.bulk_create(
        [
            Identity(customer=customer, kind=Identity.Kind.EMAIL, value=address)
            for address, customer in zip(missing, new_customers)
        ]
    )
    return found | dict(zip(missing, new_customers))


def add_phone(*, customer: Customer, number: str) -> Identity:
    """Attach a phone number (normalised to E.164) to a customer."""
    value = normalise_phone(number)
    identity, _ = Identity.objects.get_or_create(
        kind=Identity.Kind.PHONE, value=value, defaults={"customer": customer}
    )
    return identity


def record_purchase(*, customer: Customer, at: datetime | None = None) -> None:
    """Note that the customer bought something; only a later purchase moves the date."""
    at = at or timezone.now()
    # A conditional UPDATE: events arriving out of order never move the date backwards.
    Customer.objects.filter(pk=customer.pk).filter(
        Q(last_purchase_at__isnull=True) | Q(last_purchase_at__lt=at)
    ).update(last_purchase_at=at)
    customer.refresh_from_db(fields=["last_purchase_at"])


def normalise_identity(kind: str, value: str, network: str = "") -> tuple[str, str]:
    """Return (network, normalised value) for an identity of this kind, or raise InvalidIdentity."""
    if kind == Identity.Kind.EMAIL:
        return "", normalise_email(value)
    if kind == Identity.Kind.PHONE:
        return "", normalise_phone(value)
    if kind == Identity.Kind.SOCIAL:
        if network not in Identity.Network.values:
            raise InvalidIdentity(f"unknown network '{network}'")
        return network, normalise_handle(value)
    raise InvalidIdentity(f"unknown kind '{kind}'")


def add_identity(*, customer: Customer, kind: str, value: str, network: str = "") -> Identity:
    """Attach an email, phone or handle to the customer.

    Raises InvalidIdentity for a malformed value and IdentityTaken when another customer owns
    it (merging two records is a decision for an agent, not a side effect).
    """
    network, value = normalise_identity(kind, value, network)
    try:
        with transaction.atomic():
            identity, _ = Identity.objects.get_or_create(
                kind=kind, network=network, value=value, defaults={"customer": customer}
            )
    except IntegrityError:  # Created by another process between our read and our write.
        identity = Identity.objects.get(kind=kind, network=network, value=value)
    if identity.customer_id != customer.pk:
        raise IdentityTaken(identity)
    return identity


def remove_identity(*, identity: Identity) -> None:
    """Detach an identity from its customer."""
    identity.delete()


def diff_profile(
    customer: Customer, fields: dict[str, Any], custom: dict[str, Any]
) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name, value in fields.items():
        old = getattr(customer, name)
        if old != value:
            changes[name] = [old, value]
    for name, value in custom.items():
        old = customer.custom_fields.get(name)
        if old != value:
            changes[name] = [old, value]
    return changes


@transaction.atomic
def update_profile(
    *,
    customer: Customer,
    values: dict[str, Any],
    source: str,
    agent: Agent | None = None,
    store: Store | None | object = ...,
    company: Customer | None | object = ...,
) -> ProfileChange | None:
    """Change profile fields by name (built-in and custom) and keep the change in the timeline.

    Raises InvalidProfile with every refused field; nothing is changed then. `store` and
    `company` are set only when passed (None clears them).
    """
    fields, custom, errors = clean_profile(values)
    if company is not ... and company is not None:
        if company.kind != Customer.Kind.COMPANY or company.pk == customer.pk:  # type: ignore[attr-defined]
            errors["company"] = "not a company record"
    if errors:
        raise InvalidProfile(errors)
    changes = diff_profile(customer, fields, custom)
    if store is not ... and store != customer.store:
        changes["store"] = [str(customer.store or ""), str(store or "")]
        customer.store = store  # type: ignore[assignment]
    if company is not ... and company != customer.company:
        changes["company"] = [str(customer.company or ""), str(company or "")]
        customer.company = company  # type: ignore[assignment]
    if not changes:
        return None
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.custom_fields = {
        **customer.custom_fields,
        **{name: value for name, value in custom.items() if value is not None},
    }
    for name, value in custom.items():
        if value is None:
            customer.custom_fields.pop(name, None)
    customer.save()
    return ProfileChange.objects.create(
        customer=customer, source=source, agent=agent, changes=changes
    )


@transaction.atomic
def create_customer(
    *,
    values: dict[str, Any],
    emails: Sequence[str] = (),
    phones: Sequence[str] = (),
) -> Customer:
    """Create a customer record with its profile and identities, or raise a CustomerError."""
    fields, custom, errors = clean_profile(values)
    if errors:
        raise InvalidProfile(errors)
    customer = Customer.objects.create(
        **fields, custom_fields={k: v for k, v in custom.items() if v is not None}
    )
    for kind, items in ((Identity.Kind.EMAIL, emails), (Identity.Kind.PHONE, phones)):
        for value in items:
            try:
                add_identity(customer=customer, kind=kind, value=value)
            except InvalidIdentity as error:
                raise InvalidProfile({kind: str(error)}) from error
    return customer


@dataclass(frozen=True)
class RecordedEvent:
    event: BusinessEvent
    created: bool  # False when the same (source, external_id) had been recorded before


def record_business_event(
    *,
    customer: Customer,
    kind: str,
    occurred_at: datetime | None = None,
    source: str = "api",
    external_id: str = "",
    title: str = "",
    amount: Decimal | None = None,
    currency: str = "",
    data: dict[str, Any] | None = None,
) -> RecordedEvent:
    """Record a fact from the company's systems; the same (source, external_id) records once.

    An order placed also moves the customer's last purchase date (the soft opt-in rests on it).
    """
    if kind not in BusinessEvent.Kind.values:
        raise CustomerError(f"unknown event kind '{kind}'")
    if external_id:
        existing = BusinessEvent.objects.filter(source=source, external_id=external_id).first()
        if existing:
            return RecordedEvent(existing, created=False)
    occurred_at = occurred_at or timezone.now()
    try:
        with transaction.atomic():
            event = BusinessEvent.objects.create(
                customer=customer,
                kind=kind,
                occurred_at=occurred_at,
                source=source,
                external_id=external_id,
                title=title[:300],
                amount=amount,
                currency=currency.upper()[:3],
                data=data or {},
            )
            if kind == BusinessEvent.Kind.ORDER_PLACED:
                record_purchase(customer=customer, at=occurred_at)
    except IntegrityError:
        # The same event sent twice at once: the other call recorded it.
        return RecordedEvent(
            BusinessEvent.objects.get(source=source, external_id=external_id), created=False
        )
    return RecordedEvent(event, created=True)


@transaction.atomic
def complete_profile(
    *,
    customer: Customer,
    values: dict[str, Any],
    email: str = "",
    phone: str = "",
    store: Store | None = None,
) -> ProfileChange | None:
    """Land the customer's answer to a completion request in their record.

    Only non-empty answers are taken (an empty box never erases what we hold); one profile
    change with source "completion form" shows it in the timeline. Raises InvalidProfile or
    IdentityTaken, and then nothing is changed.
    """
    values = {name: value for name, value in values.items() if value not in (None, "")}
    added: dict[str, list[Any]] = {}
    for kind, value in ((Identity.Kind.EMAIL, email), (Identity.Kind.PHONE, phone)):
        if value:
            try:
                identity = add_identity(customer=customer, kind=kind, value=value)
            except InvalidIdentity as error:
                raise InvalidProfile({kind: str(error)}) from error
            added[kind] = [None, identity.value]
    change = update_profile(
        customer=customer,
        values=values,
        source=ProfileChange.Source.COMPLETION_FORM,
        **({"store": store} if store is not None else {}),
    )
    if added and change is None:
        return ProfileChange.objects.create(
            customer=customer, source=ProfileChange.Source.COMPLETION_FORM, changes=added
        )
    if added and change is not None:
        change.changes = {**change.changes, **added}
        change.save(update_fields=["changes"])
    return change


@transaction.atomic
def sign_up_customer(*, email: str, values: dict[str, Any], phone: str = "") -> Customer:
    """Register someone from the public sign-up form, or add to the record holding the email.

    Whoever fills the form may not own the address, so a record that exists is never
    overwritten: only its empty fields are filled, and a phone number another customer holds
    is left with them. Raises InvalidIdentity for a malformed email or phone.
    """
    if phone:
        normalise_phone(phone)  # Refuse a bad number before anything is written.
    customer = find_or_create_customer_by_email(address=email)
    fill_blanks(customer=customer, values=values, source=ProfileChange.Source.COMPLETION_FORM)
    if phone:
        try:
            add_identity(customer=customer, kind=Identity.Kind.PHONE, value=phone)
        except IdentityTaken:
            pass
    return customer


def fill_blanks(*, customer: Customer, values: dict[str, Any], source: str) -> None:
    """Take the given values of the fields the record leaves empty; never overwrite one.

    For what someone other than the customer or an agent tells us (a form anyone may fill,
    a shop's request): it may complete the record, not correct it.
    """
    blanks = {
        name: value
        for name, value in values.items()
        if value not in (None, "") and not getattr(customer, name)
    }
    if blanks:
        update_profile(customer=customer, values=blanks, source=source)
