"""Opens and clicks a mail provider reports (django-anymail's tracking webhooks).

When a provider sends for us and tracks, its webhook feeds the same records as our own pixel
and redirect, under the same policy and consent rules (messaging.tracking.record_hit).
anymail's only way to hand over an event is its `tracking` signal: this receiver is a thin
door to the service. Bounces and complaints have their own receiver.
"""

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, tracking
from django.dispatch import receiver

from comptoir.messaging.models import Delivery, TrackingEvent
from comptoir.messaging.tracking import record_hit

logger = logging.getLogger(__name__)

KIND_OF_EVENT = {
    EventType.OPENED: TrackingEvent.Kind.OPEN,
    EventType.CLICKED: TrackingEvent.Kind.CLICK,
}


@receiver(tracking, dispatch_uid="comptoir.messaging.provider_tracking")
def record_provider_tracking(
    sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    kind = KIND_OF_EVENT.get(event.event_type)
    if kind is None or not event.message_id:
        return
    delivery_id = (
        Delivery.objects.filter(provider_message_id=event.message_id)
        .values_list("pk", flat=True)
        .first()
    )
    if delivery_id is None:
        logger.info("%s %s event for an unknown message %s", esp_name, kind, event.message_id)
        return
    record_hit(
        delivery_id=delivery_id,
        kind=kind,
        url=(event.click_url or "") if kind == TrackingEvent.Kind.CLICK else "",
        user_agent=event.user_agent or "",
        at=event.timestamp,
        provider=esp_name,
    )
