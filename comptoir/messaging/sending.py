"""The one path every templated outbound message takes, whoever asks for it.

consent and suppression list (consents.rules.may_send) → marketing pressure
(consents.pressure) → channel choice → cross-channel dedupe (one delivery per customer and
dedupe key) → delivery recorded → [worker] render → quality gate → channel adapter → status.

An agent's reply is not templated and is queued by messaging.services.queue_delivery; both
meet again in messaging.dispatch, the only caller of an adapter.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from comptoir.campaigns.models import Campaign
from comptoir.consents.models import Channel, Preference
from comptoir.consents.pressure import PressureBatch, check_pressure, record_solicitation
from comptoir.consents.rules import IDENTITY_KIND, ConsentFacts, Reason, may_send
from comptoir.core.bulk import insert_objects
from comptoir.customers.models import BusinessEvent, Customer
from comptoir.messaging.models import Delivery, MessageTemplate, SendReason
from comptoir.sms.config import SmsConfig

# Without a preference, a message goes by email, else by SMS; a letter only when asked for.
DEFAULT_CHANNEL_ORDER = (Channel.EMAIL, Channel.SMS, Channel.LETTER)


@dataclass(frozen=True)
class Outbound:
    """A request to send one template to one customer."""

    template: MessageTemplate
    customer: Customer
    event: BusinessEvent | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    # Names the message across channels and retries; derived from the campaign or the event
    # when empty (see dedupe_key_of).
    dedupe_key: str = ""
    campaign: Campaign | None = None
    # A marketing topic (COMPTOIR_MARKETING_TOPICS) the customer may have left unticked.
    topic: str | None = None
    # Held back by pressure: wait until the rule lets it go (True), or give up (False).
    defer_when_pressured: bool = True


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    recipient: str
    status: str
    reason: str = ""
    retry_at: datetime | None = None


def send_outbound(outbound: Outbound, *, at: datetime | None = None) -> Delivery:
    """Decide and record how this message reaches the customer; a worker sends it.

    Idempotent: asking again for the same customer and dedupe key returns the delivery
    already recorded, whatever its channel or status. The template must have a live version.
    """
    require_saved_version(outbound.template)
    at = at or timezone.now()
    key = dedupe_key_of(outbound)
    if key:
        existing = Delivery.objects.filter(customer=outbound.customer, dedupe_key=key).first()
        if existing is not None:
            return existing
    template = outbound.template
    choice = choose_channel(outbound, at)
    try:
        with transaction.atomic():
            delivery = new_delivery(outbound, key, choice)
            delivery.save(force_insert=True)
            if choice.status == Delivery.Status.QUEUED:
                record_solicitation(
                    customer=outbound.customer, channel=choice.channel, kind=template.kind, at=at
                )
    except IntegrityError:
        # Another request recorded the same message for this customer first.
        return Delivery.objects.get(customer=outbound.customer, dedupe_key=key)
    if choice.status == Delivery.Status.QUEUED:
        wake_worker_after_commit(delivery)
    return delivery


def send_outbound_many(outbounds: list[Outbound], *, at: datetime | None = None) -> list[Delivery]:
    """Send a batch (a campaign's chunk) through the same path, with the same decisions as
    send_outbound one by one, in a few queries for the whole batch.

    The reads are shared (identities, preferences, consent records, suppressions, deliveries
    already recorded), the decisions are taken in order as send_outbound would, and the new
    deliveries are inserted at once. Should another request record one of these messages at
    the same time, the batch gives way: nothing of it is kept and each message goes through
    send_outbound, which returns the delivery already recorded.
    """
    at = at or timezone.now()
    if not outbounds:
        return []
    for template in {id(o.template): o.template for o in outbounds}.values():
        require_saved_version(template)
    customers = list({id(o.customer): o.customer for o in outbounds}.values())
    prefetch_related_objects(
        [c for c in customers if "identities" not in getattr(c, "_prefetched_objects_cache", {})],
        "identities",
    )
    keys = [dedupe_key_of(outbound) for outbound in outbounds]
    recorded = deliveries_recorded(outbounds, keys)
    facts = ConsentFacts.read(customers, addresses_of(customers))
    results: list[Delivery | None] = [None] * len(outbounds)
    new: list[Delivery] = []
    try:
        with transaction.atomic():
            pressure = PressureBatch([customer.pk for customer in customers])
            for index, (outbound, key) in enumerate(zip(outbounds, keys, strict=True)):
                existing = recorded.get((outbound.customer.pk, key)) if key else None
                if existing is not None:
                    results[index] = existing
                    continue
                choice = choose_channel(outbound, at, facts, pressure)
                delivery = new_delivery(outbound, key, choice)
                if delivery.status == Delivery.Status.QUEUED:
                    pressure.record(
                        customer=outbound.customer,
                        channel=delivery.channel,
                        kind=outbound.template.kind,
                        at=at,
                    )
                if key:
                    recorded[(outbound.customer.pk, key)] = delivery
                results[index] = delivery
                new.append(delivery)
            insert_objects(new)  # bulk_create's value compilation was a third of the batch
            pressure.save()
    except IntegrityError:
        # Another request recorded one of these messages first: one by one, each finds it.
        return [send_outbound(outbound, at=at) for outbound in outbounds]
    queued = [d.pk for d in new if d.status == Delivery.Status.QUEUED]
    if queued:
        wake_worker_for_batch_after_commit(queued)
    return [delivery for delivery in results if delivery is not None]


def deliveries_recorded(
    outbounds: list[Outbound], keys: list[str]
) -> dict[tuple[int, str], Delivery]:
    """The deliveries already recorded for these customers and dedupe keys, in one query."""
    wanted = {(o.customer.pk, key) for o, key in zip(outbounds, keys, strict=True) if key}
    if not wanted:
        return {}
    found = Delivery.objects.filter(
        customer_id__in={customer for customer, _key in wanted},
        dedupe_key__in={key for _customer, key in wanted},
    )
    return {
        (d.customer_id, d.dedupe_key): d for d in found if (d.customer_id, d.dedupe_key) in wanted
    }


def addresses_of(customers: list[Customer]) -> list[tuple[str, str]]:
    """Every (address, channel) the batch may send to, for the suppression list."""
    pairs = []
    for customer in customers:
        for channel in (Channel.EMAIL, Channel.SMS):
            address = recipient_on(customer, channel)
            if address:
                pairs.append((address, channel))
    return pairs


def require_saved_version(template: MessageTemplate) -> None:
    # A delivery renders the version it records; without one there is nothing to send.
    if template.live_version_id is None:
        raise ValueError(f"template {template.slug!r} has no saved version to send")


def new_delivery(outbound: Outbound, key: str, choice: ChannelChoice) -> Delivery:
    template = outbound.template
    return Delivery(
        customer=outbound.customer,
        template=template,
        template_version=template.live_version,
        event=outbound.event,
        context=dict(outbound.context),
        campaign=outbound.campaign,
        dedupe_key=key,
        channel=choice.channel,
        recipient=choice.recipient,
        purpose=template.purpose,
        status=choice.status,
        refusal_reason=choice.reason,
        next_attempt_at=choice.retry_at,
    )


def dedupe_key_of(outbound: Outbound) -> str:
    if outbound.dedupe_key:
        return outbound.dedupe_key
    if outbound.campaign is not None:
        return f"campaign:{outbound.campaign.pk}"
    if outbound.event is not None:
        return f"{outbound.template.slug}:event:{outbound.event.pk}"
    return ""


def choose_channel(
    outbound: Outbound,
    at: datetime,
    facts: ConsentFacts | None = None,
    pressure: PressureBatch | None = None,
) -> ChannelChoice:
    """Pick the customer's preferred channel among those consent and pressure allow.

    When no channel is allowed, the answer says why on the first channel tried: a consent
    refusal, or a pressure hold (deferred until the rule lets go, or dropped). `facts` are
    the consent rows a batch read once, `pressure` its customers' pressure read once.
    """
    customer, template = outbound.customer, outbound.template
    refusal: ChannelChoice | None = None
    hold: ChannelChoice | None = None
    channels = available_channels(template)
    for channel in channels_in_preferred_order(customer, channels, facts):
        recipient = recipient_on(customer, channel)
        if not recipient:
            refusal = refusal or ChannelChoice(
                channel, "", Delivery.Status.REFUSED, Reason.NO_ADDRESS
            )
            continue
        decision = may_send(
            customer,
            template.purpose,
            channel,
            at,
            recipient=recipient,
            topic=outbound.topic,
            facts=facts,
        )
        if not decision.allowed:
            refusal = refusal or ChannelChoice(
                channel, recipient, Delivery.Status.REFUSED, decision.reason
            )
            continue
        verdict = (pressure.check if pressure else check_pressure)(
            customer=customer, channel=channel, kind=template.kind, at=at
        )
        if not verdict.allowed:
            deferred = outbound.defer_when_pressured and verdict.retry_at is not None
            hold = hold or ChannelChoice(
                channel,
                recipient,
                Delivery.Status.HELD if deferred else Delivery.Status.REFUSED,
                verdict.reason,
                verdict.retry_at if deferred else None,
            )
            continue
        return ChannelChoice(channel, recipient, Delivery.Status.QUEUED)
    return hold or refusal or ChannelChoice("", "", Delivery.Status.REFUSED, SendReason.NO_CHANNEL)


def available_channels(template: MessageTemplate) -> list[str]:
    """Return the channels this template has a version for, and Comptoir can send on."""
    if template.channel == Channel.LETTER:
        return [Channel.LETTER]
    channels = [template.channel]
    live = template.live_version
    # Without a provider configured, an SMS could only fail: the message goes another way.
    sms_ready = SmsConfig.current().is_configured
    if sms_ready and live is not None and live.sms_text.strip() and Channel.SMS not in channels:
        channels.append(Channel.SMS)
    return channels


def channels_in_preferred_order(
    customer: Customer, channels: list[str], facts: ConsentFacts | None = None
) -> list[str]:
    if facts is None:
        preferred = (
            Preference.objects.filter(customer=customer)
            .values_list("preferred_channel", flat=True)
            .first()
        )
    else:
        preference = facts.preferences.get(customer.pk)
        preferred = preference.preferred_channel if preference is not None else None
    order = [preferred, *DEFAULT_CHANNEL_ORDER] if preferred else list(DEFAULT_CHANNEL_ORDER)
    return sorted(channels, key=lambda c: order.index(c) if c in order else len(order))


def recipient_on(customer: Customer, channel: str) -> str:
    """Return the customer's address on the channel: primary email, mobile, postal address."""
    if channel == Channel.LETTER:
        return customer.postal_address.strip()
    kind = IDENTITY_KIND.get(channel)
    if kind is None:
        return ""
    # The oldest address is the one the customer gave first (prefetch identities to batch).
    values = sorted((i.pk, i.value) for i in customer.identities.all() if i.kind == kind)
    return values[0][1] if values else ""


def wake_worker_for_batch_after_commit(delivery_ids: list[int]) -> None:
    """One task for a batch's queued deliveries: the worker sends them as a batch."""

    def wake_worker() -> None:
        from comptoir.messaging.tasks import send_deliveries_task

        send_deliveries_task.enqueue(delivery_ids)

    transaction.on_commit(wake_worker)


def wake_worker_after_commit(delivery: Delivery) -> None:
    def wake_worker() -> None:
        from comptoir.messaging.tasks import send_delivery_task

        send_delivery_task.enqueue(delivery.pk)

    transaction.on_commit(wake_worker)


def release_held_deliveries(at: datetime | None = None, limit: int = 1000) -> int:
    """Ask pressure again for held deliveries whose time has come; return how many left."""
    at = at or timezone.now()
    due = Delivery.objects.filter(
        status=Delivery.Status.HELD, next_attempt_at__lte=at
    ).select_related("customer", "template")[:limit]
    released = 0
    for delivery in due:
        assert delivery.customer is not None and delivery.template is not None
        verdict = check_pressure(
            customer=delivery.customer, channel=delivery.channel, kind=delivery.template.kind, at=at
        )
        with transaction.atomic():
            if verdict.allowed:
                updated = Delivery.objects.filter(
                    pk=delivery.pk, status=Delivery.Status.HELD
                ).update(status=Delivery.Status.QUEUED, next_attempt_at=None)
                if updated:
                    record_solicitation(
                        customer=delivery.customer,
                        channel=delivery.channel,
                        kind=delivery.template.kind,
                        at=at,
                    )
                    wake_worker_after_commit(delivery)
                    released += 1
            else:
                Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.HELD).update(
                    refusal_reason=verdict.reason,
                    next_attempt_at=verdict.retry_at,
                    status=Delivery.Status.HELD if verdict.retry_at else Delivery.Status.REFUSED,
                )
    return released
