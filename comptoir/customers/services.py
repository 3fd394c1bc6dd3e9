"""State changes of the customer record."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from comptoir.customers.identities import normalise_email, normalise_phone
from comptoir.customers.models import Customer, Identity


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
