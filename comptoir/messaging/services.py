"""Queueing of outbound deliveries, and what comes back from them (bounces, complaints);
saving message templates and blocks. Sending itself happens in messaging.dispatch only."""

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.consents import services as consents
from comptoir.consents.models import Channel, Purpose, Source, Suppression
from comptoir.consents.rules import may_send
from comptoir.conversations.models import Message
from comptoir.customers.models import Identity
from comptoir.mail.models import InboundEmail
from comptoir.messaging.bounces import BounceKind, BounceReport
from comptoir.messaging.models import (
    Bounce,
    Delivery,
    MessageBlock,
    MessageTemplate,
    MessageTemplateVersion,
)
from comptoir.messaging.rendering import RenderedMessage, check_template_source
from comptoir.messaging.sending import wake_worker_after_commit


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
    if decision.allowed:
        wake_worker_after_commit(delivery)
    return delivery


def resend_unconfirmed_deliveries(*, delivery_ids: list[int]) -> int:
    """Queue again unconfirmed deliveries a person found did not leave; return how many."""
    resent = Delivery.objects.filter(
        pk__in=delivery_ids, status=Delivery.Status.UNCONFIRMED
    ).update(status=Delivery.Status.QUEUED, next_attempt_at=None)
    if resent:
        from comptoir.messaging.tasks import send_due_deliveries_task

        transaction.on_commit(send_due_deliveries_task.enqueue)
    return resent


def mark_unconfirmed_deliveries_sent(*, delivery_ids: list[int]) -> int:
    """Record that unconfirmed deliveries did leave (a person checked); return how many."""
    return Delivery.objects.filter(
        pk__in=delivery_ids, status=Delivery.Status.UNCONFIRMED
    ).update(status=Delivery.Status.SENT, sent_at=timezone.now())


# A mailbox that bounces softly this often in this window is as good as gone: sending on
# would hurt the sender reputation that every other customer's mail depends on.
SOFT_BOUNCES_TO_SUPPRESS = 3
SOFT_BOUNCE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class ReturnedMail:
    bounces: list[Bounce]
    # Our send the report names: by its bounce address (VERP), else by our Message-ID.
    delivery: Delivery | None


@transaction.atomic
def record_returned_mail(
    *, report: BounceReport, inbound: InboundEmail | None = None, delivery_id: int | None = None
) -> ReturnedMail:
    """Record a bounce or complaint report and suppress the addresses it condemns.

    `delivery_id` is the delivery the report's bounce address (VERP) names, when it came to
    one. A hard bounce suppresses the address, soft ones only once they repeat; a complaint
    suppresses it and withdraws the customer's marketing consent (they said "spam"). Safe to
    call twice for one report: its bounces are recorded once.
    """
    delivery = find_delivery(delivery_id) or find_returned_delivery(report)
    if report.kind == BounceKind.COMPLAINT:
        entries = [(a, Bounce.Kind.COMPLAINT, "", "") for a in report.complainants or [""]]
    else:
        entries = [(f.address, Bounce.Kind(str(f.kind)), f.status, f.diagnostic) for f in report.failures]
    if delivery and delivery_id == delivery.pk:
        # The bounce address names the delivery, hence the address we sent to: a report
        # about the address it was forwarded to, or about none, is about this one.
        entries = [(delivery.recipient, *rest) for _, *rest in entries][:1]
    elif delivery:
        entries = [(address or delivery.recipient, *rest) for address, *rest in entries]
    bounces = [
        bounce
        for address, kind, status, diagnostic in entries
        if (
            bounce := record_bounce(
                address=address,
                kind=kind,
                status=status,
                diagnostic=diagnostic,
                delivery=delivery,
                inbound=inbound,
            )
        )
    ]
    if delivery and report.is_bounce:
        mark_bounced(delivery)
    return ReturnedMail(bounces, delivery)


def record_bounce(
    *,
    address: str,
    kind: str,
    status: str = "",
    diagnostic: str = "",
    delivery: Delivery | None = None,
    inbound: InboundEmail | None = None,
    provider_event: str = "",
) -> Bounce | None:
    """Record one bounce or complaint, once, and apply it to the suppression list."""
    address = address.strip().lower()[:320]
    if not address:
        return None
    owner = (
        Identity.objects.filter(kind=Identity.Kind.EMAIL, value=address)
        .values_list("customer_id", flat=True)
        .first()
    )
    values = {
        "status": status[:16],
        "diagnostic": diagnostic[:1000],
        "customer_id": owner,
        "delivery": delivery if delivery and delivery.recipient.lower() == address else None,
    }
    if provider_event:
        bounce, created = Bounce.objects.get_or_create(
            provider_event=provider_event[:300],
            defaults={"address": address, "kind": kind, **values},
        )
    else:
        bounce, created = Bounce.objects.get_or_create(
            inbound_email=inbound, address=address, kind=kind, defaults=values
        )
    if created:
        apply_bounce(bounce)
    return bounce


def mark_bounced(delivery: Delivery) -> None:
    # An unconfirmed delivery that bounced did leave: the bounce settles the doubt.
    Delivery.objects.filter(
        pk=delivery.pk, status__in=[Delivery.Status.SENT, Delivery.Status.UNCONFIRMED]
    ).update(status=Delivery.Status.BOUNCED)


def find_delivery(delivery_id: int | None) -> Delivery | None:
    if delivery_id is None:
        return None
    return Delivery.objects.select_related("message__conversation").filter(pk=delivery_id).first()


# The Message-ID of a templated delivery (messaging.outgoing.delivery_message_id).
TEMPLATED_MESSAGE_ID = re.compile(r"^delivery\.(?P<id>\d+)\.\d{14}@")


def find_returned_delivery(report: BounceReport) -> Delivery | None:
    """The delivery whose Message-ID the report quotes: an agent's reply or a templated one."""
    if not report.returned_message_id:
        return None
    templated = TEMPLATED_MESSAGE_ID.match(report.returned_message_id)
    if templated:
        return find_delivery(int(templated["id"]))
    return (
        Delivery.objects.filter(message__message_id=report.returned_message_id)
        .select_related("message__conversation")
        .order_by("pk")
        .first()
    )


@transaction.atomic
def record_provider_event(
    *,
    kind: str,
    recipient: str,
    provider_message_id: str,
    event_key: str,
    status: str = "",
    diagnostic: str = "",
) -> Bounce | None:
    """Record a bounce or complaint a provider reported through its webhook (django-anymail).

    The delivery is the one the provider's message id names, else the latest one sent to the
    recipient. `event_key` names the event for good (provider, message, event): a webhook
    posted twice records one bounce.
    """
    delivery = find_delivery_for_provider_event(provider_message_id, recipient)
    bounce = record_bounce(
        address=delivery.recipient if delivery else recipient,
        kind=kind,
        status=status,
        diagnostic=diagnostic,
        delivery=delivery,
        provider_event=event_key,
    )
    if delivery and kind in (Bounce.Kind.HARD, Bounce.Kind.SOFT):
        mark_bounced(delivery)
    return bounce


def confirm_provider_delivery(*, provider_message_id: str) -> int:
    """The provider says the message was delivered: an unconfirmed delivery was sent."""
    if not provider_message_id:
        return 0
    return Delivery.objects.filter(
        provider_message_id=provider_message_id, status=Delivery.Status.UNCONFIRMED
    ).update(status=Delivery.Status.SENT, last_error="")


def find_delivery_for_provider_event(provider_message_id: str, recipient: str) -> Delivery | None:
    if provider_message_id:
        found = Delivery.objects.filter(provider_message_id=provider_message_id)
        if recipient:
            found = found.filter(recipient__iexact=recipient)
        delivery = found.order_by("-pk").first()
        if delivery is not None:
            return delivery
    if not recipient:
        return None
    return (
        Delivery.objects.filter(
            recipient__iexact=recipient,
            channel="email",
            status__in=[Delivery.Status.SENT, Delivery.Status.UNCONFIRMED],
        )
        .order_by("-sent_at", "-pk")
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


# --- Message templates and blocks ---------------------------------------------------------

CATALOGUE = Path(__file__).resolve().parent / "catalogue"


@transaction.atomic
def save_message_template(
    *,
    template: MessageTemplate,
    subject: str,
    body: str,
    author: Agent | None,
    sms_text: str | None = None,
    **fields: object,
) -> MessageTemplate:
    """Save the template's content as a new version and make that version live.

    `sms_text` None keeps the template's SMS text. Raises TemplateError when the subject,
    the body or the SMS text is not a valid template; nothing is saved then.
    """
    sms_text = template.sms_text if sms_text is None else sms_text
    for source in (subject, body, sms_text):
        check_template_source(source)
    for name, value in fields.items():
        setattr(template, name, value)
    template.subject, template.body, template.sms_text = subject, body, sms_text
    template.save()
    live = template.live_version
    if live and (live.subject, live.body, live.sms_text) == (subject, body, sms_text):
        return template
    # The save above locked the template's row until commit: two editors saving at once
    # number their versions one after the other (and the unique constraint stands behind).
    last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
    template.live_version = MessageTemplateVersion.objects.create(
        template=template,
        number=last + 1,
        subject=subject,
        body=body,
        sms_text=sms_text,
        author=author,
    )
    template.save(update_fields=["live_version"])
    return template


@transaction.atomic
def save_message_block(*, name: str, body: str, description: str = "") -> MessageBlock:
    """Create or replace the block of this name; raises TemplateError if it is not valid."""
    check_template_source(body)
    block, _created = MessageBlock.objects.update_or_create(
        name=name, defaults={"body": body, "description": description}
    )
    return block


@dataclass(frozen=True)
class CatalogueLoad:
    blocks_created: int
    templates_created: int
    left_alone: int


@transaction.atomic
def load_catalogue(*, replace: bool = False) -> CatalogueLoad:
    """Add the ready-made French blocks and templates that are missing.

    Idempotent: a block or template already there is left as its authors made it, unless
    `replace` asks to put the catalogue's text back (as a new version, history kept).
    """
    manifest = json.loads((CATALOGUE / "manifest.json").read_text(encoding="utf-8"))
    blocks_created = templates_created = left_alone = 0
    for entry in manifest["blocks"]:
        exists = MessageBlock.objects.filter(name=entry["name"]).exists()
        if exists and not replace:
            left_alone += 1
            continue
        save_message_block(
            name=entry["name"],
            body=(CATALOGUE / entry["file"]).read_text(encoding="utf-8"),
            description=entry.get("description", ""),
        )
        blocks_created += not exists
    for entry in manifest["templates"]:
        template = MessageTemplate.objects.filter(slug=entry["slug"]).first()
        if template is not None and not replace:
            left_alone += 1
            continue
        save_message_template(
            template=template or MessageTemplate(slug=entry["slug"]),
            subject=entry["subject"],
            body=(CATALOGUE / "templates" / f"{entry['slug']}.mjml").read_text(encoding="utf-8"),
            author=None,
            name=entry["name"],
            kind=entry["kind"],
            channel=entry.get("channel", "email"),
            sample_event=entry.get("sample_event", {}),
        )
        templates_created += template is None
    return CatalogueLoad(blocks_created, templates_created, left_alone)


def send_test_message(*, rendered: RenderedMessage, to: str, author: Agent) -> None:
    """Send a rendered template to an internal address for a look in a real mail client.

    Not a delivery: no customer receives it, so it bypasses the consent rules and the
    delivery log. The subject says [TEST] and Auto-Submitted keeps auto-responders quiet.
    """
    message = EmailMultiAlternatives(
        subject=f"[TEST] {rendered.subject}",
        body=rendered.text,
        from_email=formataddr((settings.COMPTOIR_SUPPORT_NAME, settings.COMPTOIR_SUPPORT_ADDRESS)),
        to=[to],
        headers={"Auto-Submitted": "auto-generated", "X-Comptoir-Test-Send": str(author.pk)},
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
