"""Bounces and complaints a provider reports to its webhook, through django-anymail.

When COMPTOIR_EMAIL_BACKEND names a provider, the provider receives the bounces and the spam
complaints, and posts them to /webhooks/anymail/<provider>/tracking/. django-anymail checks
the request and turns each provider's format into one AnymailTrackingEvent, sent on its
`tracking` signal (the library's only way out; the receiver below only calls a service).
They feed the same Bounce records and suppression rules as the reports that reach our bounce
address. Opens and clicks are the tracking's (comptoir.messaging tracking receiver), not here.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from anymail import urls as anymail_urls
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import URLPattern

from comptoir.messaging import services
from comptoir.messaging.bounces import BounceKind, failure_kind, first_status
from comptoir.messaging.models import Bounce

BOUNCE_EVENTS = {EventType.BOUNCED, EventType.REJECTED, EventType.FAILED}
# What the provider refused to send because the address cannot exist.
HARD_REJECT_REASONS = {RejectReason.INVALID}


def on_tracking_event(sender: object, event: AnymailTrackingEvent, esp_name: str, **_: Any) -> None:
    """django-anymail's tracking signal: record a bounce or complaint, confirm a delivery."""
    if event.event_type == EventType.DELIVERED:
        services.confirm_provider_delivery(provider_message_id=event.message_id or "")
        return
    kind = bounce_kind(event)
    if kind is None:
        return
    response = event.mta_response or event.description or ""
    services.record_provider_event(
        kind=kind,
        recipient=(event.recipient or "").strip().lower(),
        provider_message_id=event.message_id or "",
        event_key=event_key(esp_name, event),
        status=first_status(response),
        diagnostic=response,
    )


def bounce_kind(event: AnymailTrackingEvent) -> str | None:
    """Hard, soft or complaint, by our rule (messaging.bounces): hard only when the address
    does not exist."""
    if event.event_type == EventType.COMPLAINED:
        return Bounce.Kind.COMPLAINT
    if event.event_type not in BOUNCE_EVENTS:
        return None
    # Providers that tell hard from soft name it in their own event type (Brevo's
    # hard_bounce, soft_bounce); anymail keeps that in the raw event.
    esp_type = str(raw_event_type(event)).lower()
    if "hard" in esp_type or event.reject_reason in HARD_REJECT_REASONS:
        return Bounce.Kind.HARD
    if "soft" in esp_type:
        return Bounce.Kind.SOFT
    response = event.mta_response or event.description or ""
    hard = failure_kind(first_status(response), response) == BounceKind.HARD
    return Bounce.Kind.HARD if hard else Bounce.Kind.SOFT


def raw_event_type(event: AnymailTrackingEvent) -> object:
    raw = event.esp_event
    if isinstance(raw, dict):
        return raw.get("event") or raw.get("type") or raw.get("RecordType") or ""
    return ""


def event_key(esp_name: str, event: AnymailTrackingEvent) -> str:
    """Names the event for good: the provider's event id, else its message, type, recipient
    and time (a provider posting the same event again sends the same values)."""
    esp_name = esp_name.lower()
    if event.event_id:
        return f"{esp_name}:{event.event_id}"
    at = event.timestamp.isoformat() if event.timestamp else ""
    return f"{esp_name}:{event.message_id}:{event.event_type}:{event.recipient}:{at}"


# --- URLs ----------------------------------------------------------------------------------


def require_webhook_secret(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer 404 while ANYMAIL_WEBHOOK_SECRET is unset: without it django-anymail would only
    warn and take anyone's post, and a forged bounce suppresses a customer's address."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
            return HttpResponseNotFound()
        return view(request, *args, **kwargs)

    return guarded


def tracking_url_patterns() -> list[URLPattern]:
    """django-anymail's tracking webhooks, one per provider (its inbound ones are not used)."""
    return [
        URLPattern(p.pattern, require_webhook_secret(p.callback), p.default_args, p.name)
        for p in anymail_urls.urlpatterns
        if isinstance(p, URLPattern) and str(p.name).endswith("tracking_webhook")
    ]


TRACKING_WEBHOOK_NAMES = [str(p.name) for p in tracking_url_patterns()]
