"""Reads of campaigns: the list, one campaign, its report, a consent forecast."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from comptoir.campaigns.models import Campaign, CampaignRecipient
from comptoir.consents.models import ConsentRecord, ConsentStatus, Purpose, Source
from comptoir.consents.rules import Reason, may_send
from comptoir.customers.models import Customer
from comptoir.messaging.models import Delivery, SendReason
from comptoir.messaging.sending import (
    available_channels,
    channels_in_preferred_order,
    recipient_on,
)

PRESSURE_REASONS = [reason for reason in SendReason.values if reason.startswith("pressure_")]
# A refusal that is the message's fault, not the customer's choice: counted as failed.
FAILURE_REASONS = [SendReason.QUALITY_GATE, SendReason.TEMPLATE_ERROR]
# How a customer leaves marketing on their own initiative (an agent's or an import's row is
# the company's doing, not an answer to the campaign).
UNSUBSCRIBE_SOURCES = [Source.ONE_CLICK, Source.PREFERENCE_CENTRE, Source.COMPLAINT]
# The consent forecast before a launch asks the rules for this many recipients at most.
FORECAST_SAMPLE = 200


def list_campaigns() -> QuerySet[Campaign]:
    """Return campaigns, newest first, with their template, segment, and counts."""
    recipients = (
        CampaignRecipient.objects.filter(campaign=OuterRef("pk"))
        .values("campaign")
        .annotate(count=Count("pk"))
        .values("count")
    )
    sent = (
        Delivery.objects.filter(campaign=OuterRef("pk"), sent_at__isnull=False)
        .values("campaign")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Campaign.objects.select_related("template", "segment")
        .annotate(
            recipient_count=Coalesce(Subquery(recipients, output_field=IntegerField()), Value(0)),
            sent_count=Coalesce(Subquery(sent, output_field=IntegerField()), Value(0)),
        )
        .order_by("-created_at", "-pk")
    )


def get_campaign(pk: int) -> Campaign:
    """Return one campaign with its template and segment; raise Http404 if missing."""
    return get_object_or_404(
        Campaign.objects.select_related("template__live_version", "segment", "created_by"), pk=pk
    )


def count_audience(campaign: Campaign) -> int:
    """How many customers the campaign is for: its snapshot, or the segment as it is now."""
    if campaign.segment_id is not None and campaign.status == Campaign.Status.DRAFT:
        return Customer.objects.filter(segments=campaign.segment_id).count()
    return campaign.recipients.count()


def audience_ids(campaign: Campaign) -> list[int]:
    if campaign.segment_id is not None and campaign.status == Campaign.Status.DRAFT:
        members = Customer.objects.filter(segments=campaign.segment_id)
        return list(members.order_by("pk").values_list("pk", flat=True))
    return list(campaign.recipients.order_by("customer_id").values_list("customer_id", flat=True))


def list_sample_recipients(campaign: Campaign, count: int = 10) -> list[Customer]:
    """The first recipients, to preview the message for one of them."""
    ids = audience_ids(campaign)[:count]
    customers = Customer.objects.filter(pk__in=ids).prefetch_related("identities")
    return sorted(customers, key=lambda customer: customer.pk)


# --- The report --------------------------------------------------------------------------


@dataclass
class Report:
    recipients: int
    recorded: int
    waiting: int
    sent: int
    held_by_pressure: int
    not_consented: int
    bounced: int
    opened: int
    clicked: int
    unsubscribed: int
    failed: int
    # (reason code, label, count), most frequent first.
    not_consented_by_reason: list[tuple[str, str, int]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        figures = {name: value for name, value in vars(self).items() if isinstance(value, int)}
        figures["not_consented_by_reason"] = {
            code: count for code, _, count in self.not_consented_by_reason
        }
        return figures


def unsubscribed_after_sending() -> Exists:
    """The delivery's customer left marketing by their own hand after it was sent."""
    return Exists(
        ConsentRecord.objects.filter(
            customer=OuterRef("customer"),
            purpose=Purpose.MARKETING,
            status__in=[ConsentStatus.WITHDRAWN, ConsentStatus.REFUSED],
            source__in=UNSUBSCRIBE_SOURCES,
            collected_at__gt=OuterRef("sent_at"),
        )
    )


def refused_by_consent() -> Q:
    return Q(status=Delivery.Status.REFUSED) & ~Q(
        refusal_reason__in=[*PRESSURE_REASONS, *FAILURE_REASONS]
    )


def get_report(campaign: Campaign) -> Report:
    """Count what became of the campaign's deliveries: three queries whatever its size."""
    sent = Q(sent_at__isnull=False)
    figures = Delivery.objects.filter(campaign=campaign).aggregate(
        recorded=Count("pk"),
        waiting=Count("pk", filter=Q(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING])),
        sent=Count("pk", filter=sent),
        held_by_pressure=Count(
            "pk",
            filter=Q(status__in=[Delivery.Status.HELD, Delivery.Status.REFUSED])
            & Q(refusal_reason__in=PRESSURE_REASONS),
        ),
        not_consented=Count("pk", filter=refused_by_consent()),
        bounced=Count("pk", filter=Q(status=Delivery.Status.BOUNCED)),
        opened=Count("pk", filter=sent & Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=sent & Q(clicked_at__isnull=False)),
        unsubscribed=Count("pk", filter=sent & Q(unsubscribed_after_sending())),
        failed=Count(
            "pk",
            filter=Q(status=Delivery.Status.FAILED)
            | Q(status=Delivery.Status.REFUSED, refusal_reason__in=FAILURE_REASONS),
        ),
    )
    by_reason = (
        Delivery.objects.filter(refused_by_consent(), campaign=campaign)
        .values_list("refusal_reason")
        .annotate(count=Count("pk"))
        .order_by("-count", "refusal_reason")
    )
    return Report(
        recipients=count_audience(campaign),
        not_consented_by_reason=[(code, reason_label(code), count) for code, count in by_reason],
        **figures,
    )


def reason_label(code: str) -> str:
    labels = {**dict(Reason.choices), **dict(SendReason.choices)}
    return str(labels.get(code, code))


def list_campaign_deliveries(campaign: Campaign) -> QuerySet[Delivery]:
    """The campaign's deliveries in recipient order, for the CSV export."""
    return Delivery.objects.filter(campaign=campaign).order_by("customer_id", "pk")


# --- Before a launch: what the consent rules would say now -----------------------------------


@dataclass
class ConsentForecast:
    recipients: int
    asked: int
    refused: int
    by_reason: list[tuple[str, str, int]]

    @property
    def estimated(self) -> bool:
        return self.asked < self.recipients

    @property
    def refused_estimate(self) -> int:
        if not self.asked:
            return 0
        return round(self.refused * self.recipients / self.asked)


def consent_refusal(campaign: Campaign, customer: Customer, at: datetime) -> str | None:
    """Why the consent rules would stop the campaign for this customer now, or None.

    The sending path's channel choice without its pressure check: pressure changes by the
    hour and holds back rather than refuses.
    """
    template = campaign.template
    refusal: str | None = None
    for channel in channels_in_preferred_order(customer, available_channels(template)):
        recipient = recipient_on(customer, channel)
        if not recipient:
            refusal = refusal or Reason.NO_ADDRESS
            continue
        decision = may_send(
            customer,
            template.purpose,
            channel,
            at,
            recipient=recipient,
            topic=campaign.topic or None,
        )
        if decision.allowed:
            return None
        refusal = refusal or decision.reason
    return refusal or SendReason.NO_CHANNEL


def spread(ids: list[int], count: int) -> list[int]:
    """Pick `count` ids spread evenly over the list (the same ones at every call)."""
    if len(ids) <= count:
        return ids
    step = len(ids) / count
    return [ids[int(index * step)] for index in range(count)]


def forecast_consent(campaign: Campaign, at: datetime | None = None) -> ConsentForecast:
    """Ask the consent rules about the recipients (a spread sample of a large audience)."""
    at = at or timezone.now()
    ids = audience_ids(campaign)
    asked = spread(ids, FORECAST_SAMPLE)
    customers = Customer.objects.filter(pk__in=asked).prefetch_related("identities")
    reasons = Counter(
        reason
        for customer in customers
        if (reason := consent_refusal(campaign, customer, at)) is not None
    )
    return ConsentForecast(
        recipients=len(ids),
        asked=len(asked),
        refused=sum(reasons.values()),
        by_reason=[(code, reason_label(code), count) for code, count in reasons.most_common()],
    )
