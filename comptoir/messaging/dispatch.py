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
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from comptoir.consents.rules import may_send
from comptoir.messaging import throttling
from comptoir.messaging.adapters import PermanentSendError, UnconfirmedSendError, adapter_for
from comptoir.messaging.gate import blocking_findings
from comptoir.messaging.models import Delivery, SendReason
from comptoir.messaging.outgoing import outgoing_for
from comptoir.messaging.rendering import TemplateError

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
    delay = throttling.delay_before_sending(delivery.channel, delivery.recipient)
    if delay:
        return put_back(delivery, delay)
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
    except UnconfirmedSendError as error:
        logger.error("delivery %s may or may not have left: %s", delivery_id, error)
        delivery.status = Delivery.Status.UNCONFIRMED
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
    settled = Delivery.objects.filter(
        status=Delivery.Status.SENDING, claimed_at__lt=cutoff
    ).update(
        status=Delivery.Status.UNCONFIRMED,
        last_error="The worker stopped while sending: the message may have left. "
        "Check with the recipient or the mail server's log, then resend or mark as sent.",
    )
    if settled:
        logger.error("%s deliveries left sending by a stopped worker marked unconfirmed", settled)
    return settled


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
