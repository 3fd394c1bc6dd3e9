"""Reads of message templates and blocks, of the outbound log, and of the deliveries shown
on a customer's timeline."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.consents.models import Channel
from comptoir.customers.models import Customer
from comptoir.messaging.models import (
    Delivery,
    MessageTemplate,
    MessageTemplateVersion,
    TrackingEvent,
)
from comptoir.messaging.rendering import TemplateError, one_line, render_text


def list_templates() -> QuerySet[MessageTemplate]:
    """Return every template, by name, with its live version."""
    return MessageTemplate.objects.select_related("live_version").order_by("name")


def get_template(pk: int) -> MessageTemplate:
    """Return one template; raise Http404 if missing."""
    return get_object_or_404(MessageTemplate.objects.select_related("live_version"), pk=pk)


def list_versions(template: MessageTemplate) -> QuerySet[MessageTemplateVersion]:
    """Return the template's versions, newest first, with their authors."""
    return template.versions.select_related("author").order_by("-number")


def find_preview_customer(customer_id: int | None) -> Customer | None:
    """Return the customer to preview for, with their store and identities, or None."""
    if customer_id is None:
        return None
    return (
        Customer.objects.select_related("store")
        .prefetch_related("identities")
        .filter(pk=customer_id)
        .first()
    )


def list_deliveries(
    *,
    status: str = "",
    channel: str = "",
    reason: str = "",
    search: str = "",
    campaign_id: int | None = None,
) -> QuerySet[Delivery]:
    """Return deliveries, newest first, filtered as the outbound log's form asks."""
    deliveries = Delivery.objects.select_related("template", "campaign", "customer").order_by(
        "-created_at", "-pk"
    )
    if status:
        deliveries = deliveries.filter(status=status)
    if channel:
        deliveries = deliveries.filter(channel=channel)
    if reason:
        deliveries = deliveries.filter(refusal_reason=reason)
    if search:
        deliveries = deliveries.filter(recipient__icontains=search)
    if campaign_id is not None:
        deliveries = deliveries.filter(campaign_id=campaign_id)
    return deliveries


def list_sendable_templates() -> QuerySet[MessageTemplate]:
    """Return the templates an agent may send to a customer: those with a live version."""
    return MessageTemplate.objects.filter(live_version__isnull=False).order_by("name")


def find_delivery_recipient(delivery_id: int) -> str | None:
    """Return the address a delivery went to, or None for an unknown delivery."""
    return Delivery.objects.filter(pk=delivery_id).values_list("recipient", flat=True).first()


# --- The customer's timeline: templated sends and what became of them ---------------------

# A delivery shows once it has a verdict; queued and sending ones are about to change.
TIMELINE_STATUSES = (
    Delivery.Status.SENT,
    Delivery.Status.REFUSED,
    Delivery.Status.HELD,
    Delivery.Status.BOUNCED,
    Delivery.Status.FAILED,
)
# Masculine nouns all, so that one French sentence fits every channel ("… envoyé").
CHANNEL_NOUNS = {
    Channel.EMAIL: pgettext_lazy("timeline", "Email"),
    Channel.SMS: pgettext_lazy("timeline", "SMS"),
    Channel.LETTER: pgettext_lazy("timeline", "Letter"),
}
DELIVERY_TITLES = {
    Delivery.Status.SENT: _("%(channel)s “%(subject)s” sent"),
    Delivery.Status.REFUSED: _("%(channel)s “%(subject)s” not sent"),
    Delivery.Status.HELD: _("%(channel)s “%(subject)s” held back"),
    Delivery.Status.BOUNCED: _("%(channel)s “%(subject)s” bounced"),
    Delivery.Status.FAILED: _("%(channel)s “%(subject)s” failed"),
}
LINK_SHOWN = 60
# The customer timeline's filter for these entries.
OUTBOUND_FILTER_LABEL = _("Messages sent and their tracking")


@dataclass(frozen=True)
class TimelineText:
    label: str
    title: str
    text: str = ""


def list_customer_deliveries(customer: Customer, channel: str | None = None) -> QuerySet[Delivery]:
    """Return the customer's templated deliveries that have a verdict, newest first."""
    deliveries = (
        Delivery.objects.filter(
            customer=customer, template_version__isnull=False, status__in=TIMELINE_STATUSES
        )
        .select_related("template", "template_version", "event")
        .annotate(at=Coalesce("sent_at", "created_at"))
        .order_by("-at", "-pk")
    )
    return deliveries.filter(channel=channel) if channel else deliveries


def list_customer_tracking_events(
    customer: Customer, channel: str | None = None
) -> QuerySet[TrackingEvent]:
    """Return the opens and clicks of the customer's deliveries, newest first, machines left out."""
    events = (
        TrackingEvent.objects.filter(delivery__customer=customer, automated=False)
        .select_related("delivery__template", "delivery__template_version", "delivery__event")
        .order_by("-at", "-pk")
    )
    return events.filter(delivery__channel=channel) if channel else events


def delivery_subject(delivery: Delivery, customer: Customer) -> str:
    """Return the subject the customer saw, or the template's name when there is none.

    Rendered again from the version sent (the subject is not stored), with today's record:
    a first name corrected since shows corrected. Prefetch the customer's identities.
    """
    template, version = delivery.template, delivery.template_version
    name = template.name if template else ""
    if delivery.channel != Channel.EMAIL or template is None or version is None:
        return name
    try:
        subject = render_text(
            template=template,
            customer=customer,
            event=delivery.event,
            extra=delivery.context,
            source=version.subject,
        )
    except TemplateError:
        return name
    return one_line(subject) or name


def channel_noun(channel: str) -> str:
    return str(CHANNEL_NOUNS.get(channel, channel))


def describe_delivery(delivery: Delivery, subject: str) -> TimelineText:
    """Say what became of a templated delivery, for the customer's timeline."""
    title = DELIVERY_TITLES[delivery.status] % {
        "channel": channel_noun(delivery.channel),
        "subject": subject,
    }
    text = ""
    if delivery.refusal_reason:
        text = str(delivery.get_refusal_reason_display())
    if delivery.status == Delivery.Status.HELD and delivery.next_attempt_at:
        when = date_format(timezone.localtime(delivery.next_attempt_at), "SHORT_DATETIME_FORMAT")
        text = _("%(reason)s, until %(when)s") % {"reason": text, "when": when}
    label = _("%(channel)s · send") % {"channel": channel_noun(delivery.channel)}
    return TimelineText(label=str(label), title=str(title), text=str(text))


def describe_tracking_event(event: TrackingEvent, subject: str) -> TimelineText:
    """Say what the customer did with a delivery (an open, a click), for the timeline."""
    channel = channel_noun(event.delivery.channel)
    label = str(_("%(channel)s · tracking") % {"channel": channel})
    if event.kind == TrackingEvent.Kind.OPEN:
        title = _("%(channel)s “%(subject)s” opened") % {"channel": channel, "subject": subject}
        text = _("Opened %(count)s times") % {"count": event.count} if event.count > 1 else ""
        return TimelineText(label=label, title=str(title), text=str(text))
    link = shown_link(event.url)
    title = _("%(channel)s “%(subject)s”: clicked %(link)s") % {
        "channel": channel,
        "subject": subject,
        "link": link,
    }
    text = event.url
    if event.count > 1:
        text = _("%(url)s (%(count)s clicks)") % {"url": event.url, "count": event.count}
    return TimelineText(label=label, title=str(title), text=str(text))


def shown_link(url: str) -> str:
    """The link as a person reads it: host and path, without the scheme and the query."""
    parts = urlsplit(url)
    shown = (parts.netloc + parts.path).removeprefix("www.").rstrip("/") or url
    return shown if len(shown) <= LINK_SHOWN else shown[: LINK_SHOWN - 1] + "…"
