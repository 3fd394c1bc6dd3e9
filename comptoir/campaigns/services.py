"""Every state change of a campaign: create, launch, pause, resume, cancel, and the runner.

The runner records deliveries chunk by chunk through messaging.sending (consent, pressure,
channel choice, dedupe) and leaves the sending to the dispatcher. One chunk is one
transaction: the campaign row locked, the next recipients after the cursor taken in customer
id order, their deliveries recorded, the cursor moved. A crash rolls the chunk back whole;
and were a chunk ever recorded twice (two runners on SQLite, which has no row lock), the
dedupe key `campaign:<id>` per customer, unique on Delivery, still sends nobody twice.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from django.db import transaction
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.campaigns.lists import ResolvedList, resolve_list
from comptoir.campaigns.models import Campaign, CampaignRecipient
from comptoir.customers.models import Customer, Segment
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.sending import Outbound, send_outbound_many

logger = logging.getLogger(__name__)

# Recipients recorded in one transaction: large enough for send_outbound_many to share its
# reads, small enough that a SQLite writer does not hold the database for long.
CHUNK_SIZE = 200
# Credit unused while nobody ran the campaign (a stopped worker) is not saved up beyond
# this: a restart must not burst a whole hour's rate at the receiving providers.
BURST_SECONDS = 60
SNAPSHOT_BATCH = 5000
CANCELLED_ERROR = "campaign cancelled before sending"


def create_campaign(
    *,
    name: str,
    template: MessageTemplate,
    created_by: Agent | None,
    segment: Segment | None = None,
    recipient_list: BinaryIO | None = None,
    list_name: str = "",
    rate_per_minute: int | None = None,
    topic: str = "",
    defer_when_pressured: bool = False,
    details: dict[str, Any] | None = None,
) -> tuple[Campaign, ResolvedList | None]:
    """Record a draft campaign for a segment, or for an uploaded list resolved now."""
    if (segment is None) == (recipient_list is None):
        raise ValueError("a campaign goes to a segment or to a list, not both")
    resolved = resolve_list(recipient_list) if recipient_list is not None else None
    fields: dict[str, Any] = {}
    if rate_per_minute:
        fields["rate_per_minute"] = rate_per_minute
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            template=template,
            segment=segment,
            list_name=list_name[:200] if resolved is not None else "",
            unknown_entries=resolved.unknown if resolved is not None else [],
            topic=topic,
            defer_when_pressured=defer_when_pressured,
            details=details or {},
            created_by=created_by,
            **fields,
        )
        if resolved is not None:
            add_recipients(campaign, resolved.customer_ids)
    return campaign, resolved


def add_recipients(campaign: Campaign, customer_ids: list[int]) -> None:
    for start in range(0, len(customer_ids), SNAPSHOT_BATCH):
        CampaignRecipient.objects.bulk_create(
            [
                CampaignRecipient(campaign=campaign, customer_id=customer_id)
                for customer_id in customer_ids[start : start + SNAPSHOT_BATCH]
            ],
            ignore_conflicts=True,
        )


def snapshot_segment(campaign: Campaign) -> None:
    """Fix the segment's members as the campaign's recipients (a launch does it once)."""
    assert campaign.segment_id is not None
    members = (
        Customer.objects.filter(segments=campaign.segment_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    add_recipients(campaign, list(members))


def launch_campaign(*, campaign: Campaign, at: datetime | None = None) -> bool:
    """Start sending a draft campaign; the worker's sweep records its deliveries.

    Returns False when the campaign was not a draft any more (launched twice, cancelled).
    """
    at = at or timezone.now()
    with transaction.atomic():
        launched = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).update(
            status=Campaign.Status.SENDING, started_at=at, credit_since=at, updated_at=at
        )
        if launched and campaign.segment_id is not None:
            snapshot_segment(campaign)
    campaign.refresh_from_db()
    return bool(launched)


def pause_campaign(*, campaign: Campaign) -> bool:
    """Stop recording new deliveries; what is already queued still leaves."""
    return change_status(campaign, {Campaign.Status.SENDING}, Campaign.Status.PAUSED)


def resume_campaign(*, campaign: Campaign, at: datetime | None = None) -> bool:
    """Go on from the cursor; the paused time earns no sending credit."""
    at = at or timezone.now()
    return change_status(
        campaign, {Campaign.Status.PAUSED}, Campaign.Status.SENDING, credit_since=at
    )


def cancel_campaign(*, campaign: Campaign, at: datetime | None = None) -> bool:
    """Stop the campaign for good; deliveries not handed to a worker yet never leave.

    Only queued and held deliveries are dropped: a delivery a worker has claimed (sending)
    may already be at the SMTP server.
    """
    at = at or timezone.now()
    with transaction.atomic():
        cancelled = change_status(
            campaign,
            {Campaign.Status.DRAFT, Campaign.Status.SENDING, Campaign.Status.PAUSED},
            Campaign.Status.CANCELLED,
            finished_at=at,
        )
        if cancelled:
            Delivery.objects.filter(
                campaign=campaign, status__in=[Delivery.Status.QUEUED, Delivery.Status.HELD]
            ).update(
                status=Delivery.Status.FAILED, last_error=CANCELLED_ERROR, next_attempt_at=None
            )
    return cancelled


def change_status(campaign: Campaign, allowed: set[str], status: str, **fields: Any) -> bool:
    changed = Campaign.objects.filter(pk=campaign.pk, status__in=allowed).update(
        status=status, updated_at=timezone.now(), **fields
    )
    campaign.refresh_from_db()
    return changed == 1


# --- The runner -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkResult:
    recorded: int
    # The campaign is not sending any more: done, paused or cancelled.
    stopped: bool


def credit_start(campaign: Campaign, at: datetime) -> datetime:
    since = campaign.credit_since or at
    return max(since, at - timedelta(seconds=BURST_SECONDS))


def allowance(campaign: Campaign, at: datetime) -> int:
    """How many recipients the campaign's rate lets go at `at`."""
    seconds = (at - credit_start(campaign, at)).total_seconds()
    return max(0, int(seconds * campaign.rate_per_minute / 60))


def next_recipients(campaign: Campaign, count: int) -> list[Customer]:
    ids = list(
        CampaignRecipient.objects.filter(
            campaign=campaign, customer_id__gt=campaign.last_customer_id
        )
        .order_by("customer_id")
        .values_list("customer_id", flat=True)[:count]
    )
    # Identities and preference are read by the channel choice for every customer.
    customers = Customer.objects.filter(pk__in=ids).prefetch_related("identities")
    return sorted(customers, key=lambda customer: customer.pk)


def outbound_for(campaign: Campaign, customer: Customer) -> Outbound:
    return Outbound(
        template=campaign.template,
        customer=customer,
        campaign=campaign,
        context={"event": campaign.details} if campaign.details else {},
        topic=campaign.topic or None,
        defer_when_pressured=campaign.defer_when_pressured,
    )


def send_next_chunk(
    *, campaign_id: int, at: datetime | None = None, limit: int = CHUNK_SIZE
) -> ChunkResult:
    """Record the deliveries of the next recipients the throttle allows, and move the cursor."""
    at = at or timezone.now()
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("template__live_version")
            .get(pk=campaign_id)
        )
        if campaign.status != Campaign.Status.SENDING:
            return ChunkResult(0, stopped=True)
        count = min(limit, allowance(campaign, at))
        if count == 0:
            return ChunkResult(0, stopped=False)
        customers = next_recipients(campaign, count)
        if customers:
            send_outbound_many([outbound_for(campaign, c) for c in customers], at=at)
            campaign.last_customer_id = customers[-1].pk
            campaign.credit_since = credit_start(campaign, at) + timedelta(
                seconds=len(customers) * 60 / campaign.rate_per_minute
            )
        finished = len(customers) < count
        if finished:
            campaign.status = Campaign.Status.DONE
            campaign.finished_at = at
        campaign.save(
            update_fields=[
                "last_customer_id",
                "credit_since",
                "status",
                "finished_at",
                "updated_at",
            ]
        )
    return ChunkResult(len(customers), stopped=finished)


def advance_campaign(*, campaign_id: int, at: datetime | None = None) -> int:
    """Record every delivery the campaign's rate allows now; return how many."""
    at = at or timezone.now()
    recorded = 0
    while True:
        result = send_next_chunk(campaign_id=campaign_id, at=at)
        recorded += result.recorded
        if result.stopped or result.recorded == 0:
            return recorded


def advance_sending_campaigns(at: datetime | None = None) -> int:
    """The worker's sweep: move every sending campaign on by what its rate allows."""
    ids = Campaign.objects.filter(status=Campaign.Status.SENDING).values_list("pk", flat=True)
    recorded = 0
    for campaign_id in list(ids):
        try:
            recorded += advance_campaign(campaign_id=campaign_id, at=at)
        except Exception:
            # One campaign's failure (its chunk rolled back, cursor unmoved) must not starve
            # the others; the next sweep tries it again.
            logger.exception("campaign %s could not advance", campaign_id)
    return recorded


def run_campaign(
    *,
    campaign_id: int,
    sleep: Callable[[float], None] = time.sleep,
    on_chunk: Callable[[int], None] | None = None,
) -> Campaign:
    """Run a sending campaign in the foreground, at its rate, until done, paused or cancelled.

    About one chunk a second: waiting for a whole CHUNK_SIZE at a low rate would send in
    bursts, and a chunk of one at a high rate would spend a transaction per message.
    """
    while True:
        campaign = Campaign.objects.get(pk=campaign_id)
        if campaign.status != Campaign.Status.SENDING:
            return campaign
        batch = min(CHUNK_SIZE, max(1, campaign.rate_per_minute // 60))
        missing = batch - allowance(campaign, timezone.now())
        if missing > 0:
            sleep(missing * 60 / campaign.rate_per_minute)
            continue
        result = send_next_chunk(campaign_id=campaign_id)
        if on_chunk is not None and result.recorded:
            on_chunk(result.recorded)
