"""Reads of message templates and blocks, and of the outbound log (deliveries)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from comptoir.customers.models import Customer
from comptoir.messaging.models import Delivery, MessageTemplate, MessageTemplateVersion


def list_templates() -> QuerySet[MessageTemplate]:
    """Return every template, by name, with its live version."""
    return MessageTemplate.objects.select_related("live_version").order_by("name")


def get_template(pk: int) -> MessageTemplate:
    """Return one template; raise Http404 if missing."""
    return get_object_or_404(MessageTemplate.objects.select_related("live_version"), pk=pk)


def list_versions(template: MessageTemplate) -> QuerySet[MessageTemplateVersion]:
    """Return the template's versions, newest first, with their authors."""
    return template.versions.select_related("author").order_by("-number")


def find_preview_customer(customer_id: int | None) -> Customer | None:
    """Return the customer to preview for, with their store and identities, or None."""
    if customer_id is None:
        return None
    return (
        Customer.objects.select_related("store")
        .prefetch_related("identities")
        .filter(pk=customer_id)
        .first()
    )


def list_deliveries(
    *, status: str = "", channel: str = "", reason: str = "", search: str = ""
) -> QuerySet[Delivery]:
    """Return deliveries, newest first, filtered as the outbound log's form asks."""
    deliveries = Delivery.objects.select_related("template", "campaign", "customer").order_by(
        "-created_at", "-pk"
    )
    if status:
        deliveries = deliveries.filter(status=status)
    if channel:
        deliveries = deliveries.filter(channel=channel)
    if reason:
        deliveries = deliveries.filter(refusal_reason=reason)
    if search:
        deliveries = deliveries.filter(recipient__icontains=search)
    return deliveries


def list_sendable_templates() -> QuerySet[MessageTemplate]:
    """Return the templates an agent may send to a customer: those with a live version."""
    return MessageTemplate.objects.filter(live_version__isnull=False).order_by("name")


def find_delivery_recipient(delivery_id: int) -> str | None:
    """Return the address a delivery went to, or None for an unknown delivery."""
    return Delivery.objects.filter(pk=delivery_id).values_list("recipient", flat=True).first()
