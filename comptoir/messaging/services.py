"""Queueing of outbound deliveries. Sending itself happens in messaging.dispatch only."""

from django.db import transaction

from comptoir.conversations.models import Message
from comptoir.messaging.models import Delivery


def queue_delivery(*, message: Message, recipient: str, channel: str = "email") -> Delivery:
    """Record that this message must reach this recipient, and wake a worker after commit."""
    # A unique constraint keeps one delivery per message, channel and recipient.
    delivery = Delivery.objects.create(message=message, channel=channel, recipient=recipient)

    def wake_worker() -> None:
        from comptoir.messaging.tasks import send_delivery_task

        send_delivery_task.enqueue(delivery.pk)

    transaction.on_commit(wake_worker)
    return delivery
