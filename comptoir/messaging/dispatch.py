"""The one place where a channel adapter's send() is called.

The database row is the truth: a delivery is claimed with a conditional UPDATE (queued ->
sending) so two workers never send it both, and it is marked sent as soon as the adapter
returns. Failures the adapter calls temporary are retried with exponential backoff.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from comptoir.consents.rules import may_send
from comptoir.messaging.adapters import PermanentSendError, adapter_for
from comptoir.messaging.gate import blocking_findings
from comptoir.messaging.models import Delivery, SendReason
from comptoir.messaging.outgoing import outgoing_for
from comptoir.messaging.rendering import TemplateError

logger = logging.getLogger(__name__)

# A delivery still "sending" after this long belongs to a worker that died mid-send.
STALE_SENDING_AFTER = timedelta(minutes=10)


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
    delivery = Delivery.objects.select_related(
        "message__conversation__customer",
        "message__author",
        "customer",
        "template",
        "template_version",
        "event",
    ).get(pk=delivery_id)
    customer = delivery.customer or delivery.message.conversation.customer
    # Asked again at the last moment: a withdrawal or a bounce may have come in since the
    # delivery was queued (a retry can be hours later).
    decision = may_send(customer, delivery.purpose, delivery.channel, recipient=delivery.recipient)
    if not decision.allowed:
        return refuse(delivery, decision.reason)
    if delivery.template_version_id is not None and blocking_findings(
        delivery.template_version_id, delivery.channel
    ):
        return refuse(delivery, SendReason.QUALITY_GATE)
    try:
        outgoing = outgoing_for(delivery)
    except TemplateError as error:
        delivery.last_error = str(error)
        delivery.save(update_fields=["last_error"])
        return refuse(delivery, SendReason.TEMPLATE_ERROR)
    try:
        adapter_for(delivery.channel).send(delivery, outgoing)
    except PermanentSendError as error:
        logger.warning("delivery %s failed for good: %s", delivery_id, error)
        delivery.status = Delivery.Status.FAILED
        delivery.last_error = str(error)
    except Exception as error:  # Anything else (network, 4xx) may pass on a later try.
        logger.warning("delivery %s attempt %s failed: %s", delivery_id, delivery.attempts, error)
        delivery.last_error = f"{type(error).__name__}: {error}"
        if delivery.attempts >= settings.COMPTOIR_SEND_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
        else:
            delivery.status = Delivery.Status.QUEUED
            delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
    else:
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
    delivery.save(update_fields=["status", "sent_at", "last_error", "next_attempt_at"])
    return delivery.status


def refuse(delivery: Delivery, reason: str) -> str:
    logger.info("delivery %s refused: %s", delivery.pk, reason)
    delivery.status = Delivery.Status.REFUSED
    delivery.refusal_reason = reason
    delivery.save(update_fields=["status", "refusal_reason"])
    return delivery.status


def requeue_stale_deliveries() -> int:
    """Put back deliveries whose worker died mid-send.

    The retry carries the same Message-ID, so in the rare case where the first attempt did
    reach the server before the crash, mail clients show the two copies as one message.
    """
    cutoff = timezone.now() - STALE_SENDING_AFTER
    return Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff).update(
        status=Delivery.Status.QUEUED, next_attempt_at=None
    )


def send_due_deliveries(limit: int = 500) -> int:
    """Send every queued delivery whose time has come; return how many were tried."""
    requeue_stale_deliveries()
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
