"""Reads of the customer record: search, one record, and its timeline across channels."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from heapq import merge
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from comptoir.consents.models import ConsentRecord
from comptoir.conversations.models import Conversation, Message
from comptoir.customers.models import BusinessEvent, Customer, Identity, ProfileChange
from comptoir.messaging import queries as messaging

if TYPE_CHECKING:
    from comptoir.messaging.models import Delivery


def find_customer_by_email(value: str) -> Customer | None:
    """Return the customer owning this normalised email address, if any."""
    identity = Identity.objects.select_related("customer").filter(
        kind=Identity.Kind.EMAIL, value=value
    ).first()
    return identity.customer if identity else None


def list_customers(search: str = "") -> QuerySet[Customer]:
    """Return customers, newest first, matching a name, company, email, phone or handle."""
    customers = Customer.objects.prefetch_related("identities").order_by("-created_at", "-pk")
    search = search.strip()
    if search:
        in_identities = Identity.objects.filter(
            customer=OuterRef("pk"), value__icontains=search.removeprefix("@")
        )
        condition = (
            Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(company_name__icontains=search)
            | Exists(in_identities)
        )
        if search.strip("#").isdigit():
            condition |= Q(pk=int(search.strip("#")))
        customers = customers.filter(condition)
    return customers


def get_customer(pk: int) -> Customer:
    """Return one customer with what the 360 view shows; raise Http404 if missing."""
    return get_object_or_404(
        Customer.objects.select_related("company", "store").prefetch_related(
            "identities", "segments"
        ),
        pk=pk,
    )


def list_business_events(customer: Customer) -> QuerySet[BusinessEvent]:
    return customer.business_events.order_by("-occurred_at", "-pk")


def list_company_people(customer: Customer) -> QuerySet[Customer]:
    """Return the persons attached to a company record."""
    return customer.people.prefetch_related("identities").order_by("last_name", "first_name")


# --- The timeline ------------------------------------------------------------------------------

# Timeline filters besides the message channels (email today; SMS, chat, phone, letter later).
BUSINESS = "business"
CONSENT = "consent"
PROFILE = "profile"
# Templated messages we sent (or held back, or refused) and what the customer did with them.
OUTBOUND = "outbound"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    channel: str  # a message channel (email…) or BUSINESS, CONSENT, PROFILE
    kind: str  # inbound/outbound/internal, an event kind, a consent status, "profile"
    title: str
    text: str = ""
    url: str = ""
    row: Any = None
    # What the entry is, when the channel and the row do not say it (a delivery, an open).
    label: str = ""


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    number: int
    has_next: bool


def message_entries(customer: Customer, channel: str | None, limit: int) -> list[TimelineEntry]:
    if channel in (BUSINESS, CONSENT, PROFILE, OUTBOUND):
        return []
    messages = (
        Message.objects.filter(conversation__customer=customer)
        .select_related("conversation", "author")
        # An imported email's date is its Date header, not the day it was imported.
        .annotate(at=Coalesce("sent_at", "created_at"))
        .order_by("-at", "-pk")
        # The sanitised HTML can be large and the timeline shows text only.
        .defer("html")
    )
    if channel:
        messages = messages.filter(channel=channel)
    return [
        TimelineEntry(
            at=message.at,
            channel=message.channel,
            kind=message.direction,
            title=message.subject or message.conversation.subject,
            text=(message.reply_text or message.text)[:300],
            url=reverse("conversations:detail", args=[message.conversation.pk])
            + f"#message-{message.pk}",
            row=message,
        )
        for message in messages[:limit]
    ]


def business_event_entries(
    customer: Customer, channel: str | None, limit: int
) -> list[TimelineEntry]:
    if channel not in (None, BUSINESS):
        return []
    return [
        TimelineEntry(
            at=event.occurred_at,
            channel=BUSINESS,
            kind=event.kind,
            title=event.title or str(event.get_kind_display()),
            text=event_summary(event),
            row=event,
        )
        for event in list_business_events(customer)[:limit]
    ]


def event_summary(event: BusinessEvent) -> str:
    amount = f"{event.amount} {event.currency}".strip() if event.amount is not None else ""
    return " · ".join(part for part in (event.external_id, amount) if part)


def consent_entries(customer: Customer, channel: str | None, limit: int) -> list[TimelineEntry]:
    if channel not in (None, CONSENT):
        return []
    records = ConsentRecord.objects.filter(customer=customer).order_by("-collected_at", "-pk")
    return [
        TimelineEntry(
            at=record.collected_at,
            channel=CONSENT,
            kind=record.status,
            title=f"{record.get_purpose_display()} · {record.get_channel_display()} : "
            f"{record.get_status_display()}",
            text=str(record.get_source_display()),
            row=record,
        )
        for record in records[:limit]
    ]


def profile_entries(customer: Customer, channel: str | None, limit: int) -> list[TimelineEntry]:
    if channel not in (None, PROFILE):
        return []
    changes = ProfileChange.objects.filter(customer=customer).select_related("agent")
    return [
        TimelineEntry(
            at=change.created_at,
            channel=PROFILE,
            kind="profile",
            title=str(_("Profile updated")),
            text=", ".join(change.changes),
            row=change,
        )
        for change in changes.order_by("-created_at", "-pk")[:limit]
    ]


def outbound_channel(channel: str | None) -> tuple[bool, str | None]:
    """Say whether deliveries show under this filter, and on which channel only."""
    if channel in (None, OUTBOUND):
        return True, None
    return channel in Conversation.Channel.values, channel


def subject_of(delivery: "Delivery", customer: Customer, subjects: dict[int, str]) -> str:
    if delivery.pk not in subjects:
        subjects[delivery.pk] = messaging.delivery_subject(delivery, customer)
    return subjects[delivery.pk]


def delivery_entries(customer: Customer, channel: str | None, limit: int) -> list[TimelineEntry]:
    shown, on_channel = outbound_channel(channel)
    if not shown:
        return []
    deliveries = list(messaging.list_customer_deliveries(customer, on_channel)[:limit])
    if deliveries:
        # Subjects are rendered from the customer's record: its identities once, not per row.
        prefetch_related_objects([customer], "identities")
    subjects: dict[int, str] = {}
    entries = []
    for delivery in deliveries:
        described = messaging.describe_delivery(delivery, subject_of(delivery, customer, subjects))
        entries.append(
            TimelineEntry(
                at=delivery.at,
                channel=delivery.channel,
                kind=f"delivery_{delivery.status}",
                title=described.title,
                text=described.text,
                row=delivery,
                label=described.label,
            )
        )
    return entries


def tracking_entries(customer: Customer, channel: str | None, limit: int) -> list[TimelineEntry]:
    shown, on_channel = outbound_channel(channel)
    if not shown:
        return []
    events = list(messaging.list_customer_tracking_events(customer, on_channel)[:limit])
    if events:
        prefetch_related_objects([customer], "identities")
    subjects: dict[int, str] = {}
    entries = []
    for event in events:
        subject = subject_of(event.delivery, customer, subjects)
        described = messaging.describe_tracking_event(event, subject)
        entries.append(
            TimelineEntry(
                at=event.at,
                channel=event.delivery.channel,
                kind=f"tracking_{event.kind}",
                title=described.title,
                text=described.text,
                row=event,
                label=described.label,
            )
        )
    return entries


# One reader per kind of interaction; calls and letters (a later issue) add theirs here.
TimelineSource = Callable[[Customer, str | None, int], list[TimelineEntry]]
TIMELINE_SOURCES: list[TimelineSource] = [
    message_entries,
    business_event_entries,
    consent_entries,
    profile_entries,
    delivery_entries,
    tracking_entries,
]


def timeline_channels() -> list[tuple[str, Any]]:
    """Return the values the timeline can be filtered by, with their labels."""
    return [
        *Conversation.Channel.choices,
        (BUSINESS, _("Orders and business events")),
        (CONSENT, _("Consents")),
        (PROFILE, _("Profile changes")),
        (OUTBOUND, messaging.OUTBOUND_FILTER_LABEL),
    ]


def list_timeline(
    customer: Customer, channel: str | None = None, page: int = 1, page_size: int = 30
) -> TimelinePage:
    """Return one page of everything that happened with the customer, newest first.

    One query per source whatever the page: each source reads its newest rows up to the end
    of the page, and the sorted lists are merged.
    """
    page = max(1, page)
    limit = page * page_size + 1
    streams = [source(customer, channel, limit) for source in TIMELINE_SOURCES]
    merged = list(merge(*streams, key=lambda entry: entry.at, reverse=True))
    start = (page - 1) * page_size
    return TimelinePage(
        entries=merged[start : start + page_size],
        number=page,
        has_next=len(merged) > start + page_size,
    )
