"""The path of an inbound email, whichever way it came in (SMTP/LMTP, IMAP, file import).

1. receive_raw_email(): the raw bytes are committed to the database, once per Message-ID
   (or content hash). Only then may the caller acknowledge (250, IMAP flag, import count).
2. process_inbound_email(): parse, find or create the customer, thread into a conversation,
   store the message and its attachments. Idempotent; a failure leaves the raw email stored
   and flagged, never dropped.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from comptoir.conversations import services as conversations
from comptoir.conversations.models import Attachment, Conversation, Message
from comptoir.conversations.reply_threading import find_conversation_for_message
from comptoir.customers import services as customers
from comptoir.customers.identities import InvalidIdentity
from comptoir.mail import acknowledgement
from comptoir.mail.attachments import sniff_content_type
from comptoir.mail.models import InboundEmail
from comptoir.mail.parsing import ParsedEmail, message_id_of, parse_email

logger = logging.getLogger(__name__)

UNKNOWN_SENDER = "unknown-sender@invalid"


@dataclass
class Received:
    inbound: InboundEmail
    created: bool  # False when this message had already been received


def dedupe_key_for(raw: bytes) -> tuple[str, str]:
    message_id = message_id_of(raw)
    if message_id:
        return f"mid:{message_id}"[:1000], message_id
    return f"sha256:{hashlib.sha256(raw).hexdigest()}", ""


def receive_raw_email(
    raw: bytes, *, source: str, envelope_from: str = "", envelope_to: list[str] | None = None
) -> Received:
    """Store the raw email durably, once; return it and whether it is new.

    When this returns, the email is committed: the caller may acknowledge it.
    """
    key, message_id = dedupe_key_for(raw)
    # The unique constraint on dedupe_key decides, so two listeners receiving the same
    # message at once still store it once; a duplicate costs one failed insert.
    try:
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                dedupe_key=key,
                message_id=message_id,
                source=source[:200],
                envelope_from=envelope_from[:998],
                envelope_to=envelope_to or [],
                raw=raw,
                size=len(raw),
            )
    except IntegrityError:
        return Received(InboundEmail.objects.get(dedupe_key=key), created=False)
    return Received(inbound, created=True)


def process_inbound_email(inbound_id: int, *, inbound: InboundEmail | None = None) -> Message | None:
    """Turn a stored raw email into a message in a conversation; safe to call twice.

    `inbound` may be given when the caller has just stored it, to save reading it back.
    """
    if inbound is None:
        inbound = InboundEmail.objects.filter(pk=inbound_id).first()
    if inbound is None or inbound.status == InboundEmail.Status.PROCESSED:
        return None
    try:
        parsed = parse_email(bytes(inbound.raw))
    except Exception as error:  # The parser should never raise; if it does, keep the raw.
        logger.exception("inbound email %s could not be parsed", inbound_id)
        return store_unreadable_email(inbound, error)
    try:
        with transaction.atomic():
            message = store_parsed_email(inbound, parsed)
    except Exception as error:
        logger.exception("inbound email %s could not be stored", inbound_id)
        return store_unreadable_email(inbound, error)
    return message


def store_parsed_email(inbound: InboundEmail, parsed: ParsedEmail) -> Message:
    # Lock the row so that two workers processing the same email cannot both store it.
    claimed = InboundEmail.objects.filter(pk=inbound.pk).exclude(
        status=InboundEmail.Status.PROCESSED
    ).update(
        status=InboundEmail.Status.PROCESSED,
        processed_at=timezone.now(),
        error="",
        attempts=F("attempts") + 1,
    )
    if claimed != 1:
        return Message.objects.get(raw_email=inbound)
    customer = customer_for(parsed)
    conversation = find_conversation_for_message(
        message_ids=[parsed.in_reply_to, *reversed(parsed.references)],
        recipient_addresses=[*parsed.to, *parsed.cc, *inbound.envelope_to],
        subject=parsed.subject,
        customer_id=customer.pk,
    )
    is_new = conversation is None or conversation.status == Conversation.Status.CLOSED
    if is_new:
        conversation = conversations.open_conversation(
            customer=customer, subject=parsed.subject or "(sans objet)"
        )
    message = conversations.add_inbound_message(
        conversation=conversation,
        subject=parsed.subject[:998],
        from_address=parsed.from_address[:320],
        from_name=parsed.from_name[:200],
        to=parsed.to,
        cc=parsed.cc,
        reply_to=parsed.reply_to,
        message_id=parsed.message_id[:998],
        in_reply_to=parsed.in_reply_to[:998],
        references=parsed.references,
        text=parsed.text,
        html=parsed.html,
        reply_text=parsed.reply_text,
        language=parsed.language[:8],
        auto_submitted=parsed.auto_submitted,
        sent_at=parsed.date,
        raw_email=inbound,
    )
    store_attachments(message, parsed)
    if parsed.defects:
        conversations.flag_conversation(
            conversation=conversation, reason="Email partly unreadable: " + ", ".join(parsed.defects)
        )
    if is_new:
        acknowledgement.acknowledge_new_conversation(message=message, parsed=parsed)
    return message


def customer_for(parsed: ParsedEmail):  # -> Customer
    try:
        return customers.find_or_create_customer_by_email(
            address=parsed.from_address, name=parsed.from_name
        )
    except InvalidIdentity:
        # No usable sender (missing or broken From): keep the email under a placeholder
        # customer an agent can fix, rather than losing it.
        return customers.find_or_create_customer_by_email(address=UNKNOWN_SENDER)


def store_attachments(message: Message, parsed: ParsedEmail) -> None:
    from django.conf import settings

    for part in parsed.attachments:
        size = len(part.content)
        too_large = size > settings.COMPTOIR_ATTACHMENT_MAX_SIZE
        attachment = Attachment(
            message=message,
            filename=(part.filename or "attachment")[:255],
            content_type=sniff_content_type(part.content, part.content_type)[:255],
            declared_type=part.content_type[:255],
            size=size,
            content_id=part.content_id[:998],
            is_inline=part.is_inline,
            too_large=too_large,
        )
        if not too_large:
            attachment.file.save(attachment.filename, ContentFile(part.content), save=False)
        attachment.save()


def store_unreadable_email(inbound: InboundEmail, error: Exception) -> Message | None:
    """Keep an email we could not understand in a flagged conversation for an agent."""
    with transaction.atomic():
        claimed = InboundEmail.objects.filter(pk=inbound.pk).exclude(
            status=InboundEmail.Status.PROCESSED
        ).update(
            status=InboundEmail.Status.FAILED,
            error=f"{type(error).__name__}: {error}",
            attempts=F("attempts") + 1,
        )
        if claimed != 1 or Message.objects.filter(raw_email=inbound).exists():
            return None
        customer = customers.find_or_create_customer_by_email(address=UNKNOWN_SENDER)
        conversation = conversations.open_conversation(
            customer=customer, subject="Email illisible / unreadable email"
        )
        conversations.flag_conversation(
            conversation=conversation, reason=f"Unreadable email: {type(error).__name__}"
        )
        return conversations.add_inbound_message(
            conversation=conversation,
            text=bytes(inbound.raw)[:100_000].decode("utf-8", errors="replace"),
            raw_email=inbound,
        )


def ingest_raw_email(raw: bytes, *, source: str) -> tuple[Received, Message | None]:
    """Store and at once process an email, for callers that acknowledge only once both are
    done (file import, IMAP). One commit: processing runs in a savepoint inside the
    transaction that stores the raw email, so a processing failure still keeps the raw."""
    with transaction.atomic():
        received = receive_raw_email(raw, source=source)
        if not received.created:
            return received, None
        return received, process_inbound_email(received.inbound.pk, inbound=received.inbound)


def process_pending_inbound_emails(limit: int = 1000) -> int:
    """Process emails received but not processed yet (after a crash, or a lost task)."""
    pending = list(
        InboundEmail.objects.filter(status=InboundEmail.Status.RECEIVED)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    for inbound_id in pending:
        process_inbound_email(inbound_id)
    return len(pending)
