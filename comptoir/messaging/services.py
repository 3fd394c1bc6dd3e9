"""Queueing of outbound deliveries. Sending itself happens in messaging.dispatch only."""

from django.db import transaction

from comptoir.consents.models import Purpose
from comptoir.consents.rules import may_send
from comptoir.conversations.models import Message
from comptoir.messaging.models import Delivery


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
