"""Queueing of outbound deliveries, and what comes back from them (bounces, complaints).
Sending itself happens in messaging.dispatch only."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from comptoir.consents import services as consents
from comptoir.consents.models import Channel, Purpose, Source, Suppression
from comptoir.consents.rules import may_send
from comptoir.conversations.models import Message
from comptoir.customers.models import Identity
from comptoir.mail.models import InboundEmail
from comptoir.messaging.bounces import BounceKind, BounceReport
from comptoir.messaging.models import Bounce, Delivery


def queue_delivery(
    *, message: Message, recipient: str, channel: str = "email", purpose: str = Purpose.SERVICE
) -> Delivery:
    """Record that this message must reach this recipient, and wake a worker after commit.

    The consent rules decide first: a delivery they stop is recorded as refused, with the
    reason, and no worker is woken.
    """
    customer = message.customer or message.conversation.customer
    decision = may_send(customer, purpose, channel, recipient=recipient)
    # A unique constraint keeps one delivery per message, channel and recipient.
    delivery = Delivery.objects.create(
        message=message,
        channel=channel,
        recipient=recipient,
        purpose=purpose,
        status=Delivery.Status.QUEUED if decision.allowed else Delivery.Status.REFUSED,
        refusal_reason="" if decision.allowed else decision.reason,
    )
    if not decision.allowed:
        return delivery

    def wake_worker() -> None:
        from comptoir.messaging.tasks import send_delivery_task

        send_delivery_task.enqueue(delivery.pk)

    transaction.on_commit(wake_worker)
    return delivery


# A mailbox that bounces softly this often in this window is as good as gone: sending on
# would hurt the sender reputation that every other customer's mail depends on.
SOFT_BOUNCES_TO_SUPPRESS = 3
SOFT_BOUNCE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class ReturnedMail:
    bounces: list[Bounce]
    # Our send the report names, when it quotes our Message-ID.
    delivery: Delivery | None


@transaction.atomic
def record_returned_mail(
    *, report: BounceReport, inbound: InboundEmail | None = None
) -> ReturnedMail:
    """Record a bounce or complaint report and suppress the addresses it condemns.

    A hard bounce suppresses the address, soft ones only once they repeat; a complaint
    suppresses it and withdraws the customer's marketing consent (they said "spam"). Safe to
    call twice for one report: its bounces are recorded once.
    """
    delivery = find_returned_delivery(report)
    fallback = delivery.recipient if delivery else ""
    if report.kind == BounceKind.COMPLAINT:
        entries = [(a, Bounce.Kind.COMPLAINT, "", "") for a in report.complainants or [fallback]]
    else:
        entries = [
            (f.address or fallback, Bounce.Kind(str(f.kind)), f.status, f.diagnostic)
            for f in report.failures
        ]
    owners = dict(
        Identity.objects.filter(
            kind=Identity.Kind.EMAIL, value__in=[a.lower() for a, *_ in entries]
        ).values_list("value", "customer_id")
    )
    bounces = []
    for address, kind, status, diagnostic in entries:
        address = address.strip().lower()[:320]
        if not address:
            continue
        bounce, created = Bounce.objects.get_or_create(
            inbound_email=inbound,
            address=address,
            kind=kind,
            defaults={
                "status": status[:16],
                "diagnostic": diagnostic[:1000],
                "customer_id": owners.get(address),
                "delivery": delivery if delivery and delivery.recipient == address else None,
            },
        )
        if created:
            apply_bounce(bounce)
        bounces.append(bounce)
    if delivery and report.is_bounce:
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENT).update(
            status=Delivery.Status.BOUNCED
        )
    return ReturnedMail(bounces, delivery)


def find_returned_delivery(report: BounceReport) -> Delivery | None:
    if not report.returned_message_id:
        return None
    return (
        Delivery.objects.filter(message__message_id=report.returned_message_id)
        .select_related("message__conversation")
        .order_by("pk")
        .first()
    )


def apply_bounce(bounce: Bounce) -> None:
    """Suppress the address when this bounce or complaint condemns it."""
    if bounce.kind == Bounce.Kind.HARD:
        consents.suppress_address(
            value=bounce.address,
            channel=Channel.EMAIL,
            reason=Suppression.Reason.HARD_BOUNCE,
            note=bounce.status,
        )
    elif bounce.kind == Bounce.Kind.COMPLAINT:
        consents.suppress_address(
            value=bounce.address, channel=Channel.EMAIL, reason=Suppression.Reason.COMPLAINT
        )
        if bounce.customer is not None:
            consents.withdraw_marketing(
                customer=bounce.customer,
                proof=consents.Proof(source=Source.COMPLAINT, evidence="spam complaint report"),
            )
    else:
        recent = Bounce.objects.filter(
            address=bounce.address,
            kind=Bounce.Kind.SOFT,
            received_at__gte=bounce.received_at - SOFT_BOUNCE_WINDOW,
        ).count()
        if recent >= SOFT_BOUNCES_TO_SUPPRESS:
            consents.suppress_address(
                value=bounce.address,
                channel=Channel.EMAIL,
                reason=Suppression.Reason.SOFT_BOUNCES,
                note=f"{recent} soft bounces in {SOFT_BOUNCE_WINDOW.days} days",
            )
