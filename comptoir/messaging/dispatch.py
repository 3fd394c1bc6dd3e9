"""The one place where a channel adapter's send() is called.

The database row is the truth: a delivery is claimed with a conditional UPDATE (queued ->
sending), committed before the message leaves, so two workers never send it both, and it is
marked sent as soon as the adapter returns. Failures where the provider said no or was never
reached are retried with exponential backoff. A send whose fate is unknown — the worker died
while the delivery was "sending", or the connection broke after the message went out — is
marked unconfirmed and never resent by itself: a customer must not get a message twice, so
a person decides (the admin's "resend" and "mark as sent").
"""

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from comptoir.consents.rules import ConsentFacts, may_send
from comptoir.customers.models import Customer
from comptoir.messaging import throttling, tracking
from comptoir.messaging.adapters import (
    ChannelAdapter,
    PermanentSendError,
    UnconfirmedSendError,
    adapter_for,
)
from comptoir.messaging.gate import blocking_findings
from comptoir.messaging.models import Delivery, SendReason
from comptoir.messaging.outgoing import outgoing_for
from comptoir.messaging.rendering import TemplateError, blocks_read_once

logger = logging.getLogger(__name__)


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=settings.COMPTOIR_SEND_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def claim_delivery(delivery_id: int) -> bool:
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    return claimed == 1


def send_delivery(delivery_id: int) -> str:
    """Send one queued delivery if it is due and nobody else took it; return its status."""
    if not claim_delivery(delivery_id):
        return Delivery.objects.values_list("status", flat=True).get(pk=delivery_id)
    delivery = Delivery.objects.select_related(*DELIVERY_RELATIONS).get(pk=delivery_id)
    marks = BatchMarks()
    status = send_claimed(delivery, customer_of(delivery), None, None, marks)
    marks.save()
    return status


# What sending reads beside the delivery: its conversation message or its template.
DELIVERY_RELATIONS = (
    "message__conversation__customer",
    "message__author",
    "customer__store",
    "template",
    "template_version",
    "event",
)

# What a batch reads once for all its deliveries (campaign deliveries share their template,
# version and event) rather than join to every row: DELIVERY_RELATIONS but the store.
SHARED_RELATIONS = (
    "template",
    "template_version",
    "event",
    "message__conversation__customer",
    "message__author",
)


def customer_of(delivery: Delivery) -> Customer:
    if delivery.customer is not None:
        return delivery.customer
    assert delivery.message is not None
    return delivery.message.conversation.customer


def put_back(delivery: Delivery, delay: float) -> str:
    """Queue a delivery its domain's rate holds back for later, the attempt not counted."""
    Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.QUEUED,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return Delivery.Status.QUEUED


def stale_sending_after() -> timedelta:
    return timedelta(seconds=settings.COMPTOIR_SEND_STALE_SECONDS)


def settle_stale_deliveries() -> int:
    """Mark unconfirmed the deliveries whose worker died mid-send; return how many.

    Not resent: the worker may have died after the server took the message (the server
    queues it before it answers, and the answer is what got lost), and a resend would then
    reach the customer twice. A person checks and decides.
    """
    cutoff = timezone.now() - stale_sending_after()
    settled = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff).update(
        status=Delivery.Status.UNCONFIRMED,
        last_error="The worker stopped while sending: the message may have left. "
        "Check with the recipient or the mail server's log, then resend or mark as sent.",
    )
    if settled:
        logger.error("%s deliveries left sending by a stopped worker marked unconfirmed", settled)
    return settled


# A batch claims and sends this many at a time: after a crash, at most this many deliveries
# are left "sending" without their outcome recorded.
BATCH_SIZE = 100


@dataclass
class BatchMarks:
    """The outcomes of a batch's sends, written in a few UPDATEs rather than one per send."""

    sent: list[int] = field(default_factory=list)
    refused: dict[str, list[int]] = field(default_factory=dict)

    def refuse(self, delivery: Delivery, reason: str) -> str:
        logger.info("delivery %s refused: %s", delivery.pk, reason)
        self.refused.setdefault(reason, []).append(delivery.pk)
        return Delivery.Status.REFUSED

    def save(self) -> None:
        if self.sent:
            Delivery.objects.filter(pk__in=self.sent, status=Delivery.Status.SENDING).update(
                status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""
            )
        for reason, ids in self.refused.items():
            Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
                status=Delivery.Status.REFUSED, refusal_reason=reason
            )
        self.sent, self.refused = [], {}


def send_deliveries(
    delivery_ids: Sequence[int], *, adapter: ChannelAdapter | None = None
) -> dict[str, int]:
    """Send queued deliveries as a batch (a campaign's); return how many ended in each status.

    The same steps as send_delivery, with the reads shared: a hundred deliveries at a time
    are claimed together (those still queued and due), read with their customers, checked
    against consent rows read once, rendered from their version compiled once, handed to
    one adapter instance (which keeps its connection), and their outcomes written together.
    `adapter` replaces the channel's own (a benchmark's).
    """
    counts: Counter[str] = Counter()
    for start in range(0, len(delivery_ids), BATCH_SIZE):
        counts.update(send_batch(delivery_ids[start : start + BATCH_SIZE], adapter))
    return dict(counts)


def send_batch(delivery_ids: Sequence[int], adapter: ChannelAdapter | None) -> Counter[str]:
    claimed = claim_deliveries(delivery_ids)
    if not claimed:
        return Counter()
    deliveries = list(
        Delivery.objects.filter(pk__in=claimed)
        .select_related("customer__store")
        .prefetch_related(*SHARED_RELATIONS, "customer__identities")
        .order_by("pk")
    )
    customers = [customer_of(delivery) for delivery in deliveries]
    facts = ConsentFacts.read(customers, [(d.recipient, d.channel) for d in deliveries])
    adapters: dict[str, ChannelAdapter] = {}
    marks = BatchMarks()
    counts: Counter[str] = Counter()
    with blocks_read_once(), tracking.read_once_for_batch(facts):
        for delivery, customer in zip(deliveries, customers, strict=True):
            channel_adapter = adapter or adapters.get(delivery.channel)
            if channel_adapter is None:
                try:
                    channel_adapter = adapters[delivery.channel] = adapter_for(delivery.channel)
                except PermanentSendError:
                    pass  # no adapter for the channel: send_claimed records the failure
            counts[str(send_claimed(delivery, customer, facts, channel_adapter, marks))] += 1
    marks.save()
    return counts


def claim_deliveries(delivery_ids: Sequence[int]) -> list[int]:
    """Claim those of these deliveries still queued and due; return their ids.

    Rows another worker is claiming are skipped (PostgreSQL's SKIP LOCKED; SQLite lets one
    writer in at a time), and the UPDATE keeps the conditions of claim_delivery.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(delivery_ids), status=Delivery.Status.QUEUED)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=due, status=Delivery.Status.QUEUED).update(
            status=Delivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return due


def send_claimed(
    delivery: Delivery,
    customer: Customer,
    facts: ConsentFacts | None,
    adapter: ChannelAdapter | None,
    marks: BatchMarks,
) -> str:
    """Every step after the claim; the common outcomes go to `marks`, written by the caller.

    `facts` are the batch's consent rows read once (None: read them now); `adapter` the
    batch's instance for the channel (None: the channel's own).
    """
    # Asked again at the last moment: a withdrawal or a bounce may have come in since the
    # delivery was queued (a retry can be hours later).
    decision = may_send(
        customer, delivery.purpose, delivery.channel, recipient=delivery.recipient, facts=facts
    )
    if not decision.allowed:
        return marks.refuse(delivery, decision.reason)
    delay = throttling.delay_before_sending(delivery.channel, delivery.recipient)
    if delay:
        return put_back(delivery, delay)
    if delivery.template_version_id is not None and blocking_findings(
        delivery.template_version_id, delivery.channel
    ):
        return marks.refuse(delivery, SendReason.QUALITY_GATE)
    try:
        outgoing = outgoing_for(delivery)
    except TemplateError as error:
        delivery.last_error = str(error)
        delivery.save(update_fields=["last_error"])
        return marks.refuse(delivery, SendReason.TEMPLATE_ERROR)
    try:
        (adapter or adapter_for(delivery.channel)).send(delivery, outgoing)
    except Exception as error:
        return record_failure(delivery, error)
    marks.sent.append(delivery.pk)
    return Delivery.Status.SENT


def record_failure(delivery: Delivery, error: Exception) -> str:
    """Failed for good, unknown fate (never resent by itself), or queued again after a backoff."""
    if isinstance(error, PermanentSendError):
        logger.warning("delivery %s failed for good: %s", delivery.pk, error)
        delivery.status = Delivery.Status.FAILED
        delivery.last_error = str(error)
    elif isinstance(error, UnconfirmedSendError):
        logger.error("delivery %s may or may not have left: %s", delivery.pk, error)
        delivery.status = Delivery.Status.UNCONFIRMED
        delivery.last_error = str(error)
    else:  # Anything else (network, 4xx) may pass on a later try.
        logger.warning("delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)
        delivery.last_error = f"{type(error).__name__}: {error}"
        if delivery.attempts >= settings.COMPTOIR_SEND_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
        else:
            delivery.status = Delivery.Status.QUEUED
            delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
    delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
    return delivery.status


def send_due_deliveries(limit: int = 500) -> int:
    """Send every queued delivery whose time has come; return how many were tried."""
    settle_stale_deliveries()
    now = timezone.now()
    due = list(
        Delivery.objects.filter(status=Delivery.Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        send_delivery(delivery_id)
    return len(due)
