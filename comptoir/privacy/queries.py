"""Reads of data protection: the audit log, merges, and the customers a review shows."""

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from comptoir.customers.models import Customer
from comptoir.privacy.models import AuditEntry, MergeRecord


def get_customer(pk: int) -> Customer:
    """Return the customer or raise Http404."""
    return get_object_or_404(Customer, pk=pk)


def get_merge(pk: int) -> MergeRecord:
    """Return the merge record or raise Http404."""
    return get_object_or_404(MergeRecord, pk=pk)


def list_audit_entries(customer_id: int | None = None) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all()
    if customer_id is not None:
        entries = entries.filter(customer_id=customer_id)
    return entries


def list_merges() -> QuerySet[MergeRecord]:
    return MergeRecord.objects.defer("snapshot")


def list_customers_by_id(ids: set[int]) -> dict[int, Customer]:
    """Return the customers with their identities and conversation count, by id."""
    customers = (
        Customer.objects.filter(pk__in=ids)
        .prefetch_related("identities")
        .annotate(conversation_count=Count("conversations"))
    )
    return {customer.pk: customer for customer in customers}
