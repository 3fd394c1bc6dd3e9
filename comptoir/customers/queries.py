"""Reads of the customer record."""

from django.db.models import QuerySet

from comptoir.customers.models import Customer, Identity


def find_customer_by_email(value: str) -> Customer | None:
    """Return the customer owning this normalised email address, if any."""
    identity = Identity.objects.select_related("customer").filter(
        kind=Identity.Kind.EMAIL, value=value
    ).first()
    return identity.customer if identity else None


def list_customers() -> QuerySet[Customer]:
    return Customer.objects.prefetch_related("identities").order_by("-created_at")
