"""The path of an inbound email, whichever way it came in (SMTP/LMTP, IMAP, file import).

1. receive_raw_email(): the raw bytes are committed to the database, once per Message-ID
   (or content hash). Only then may the caller acknowledge (250, IMAP flag, import count).
2. process_inbound_email(): parse, find or create the customer, thread into a conversation,
   store the message and its attachments. Idempotent; a failure leaves the raw email stored
   and flagged, never dropped.
"""

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from comptoir.conversations import services as conversations
from comptoir.conversations.models import Attachment, Conversation, ConversationEvent, Message
from comptoir.core.bulk import insert_objects
from comptoir.conversations.reply_threading import ConversationLookup, ThreadingClues
from comptoir.customers import services as customers
from comptoir.customers.identities import InvalidIdentity, normalise_email
from comptoir.escalations import services as escalations
from comptoir.mail import acknowledgement, verp
from comptoir.mail.attachments import sniff_content_type
from comptoir.mail.models import InboundEmail
from comptoir.mail.parsing import ParsedEmail, message_id_of, parse_email
from comptoir.messaging import services as messaging
from comptoir.messaging.bounces import BounceKind, classify_message
from comptoir.sla import services as sla

logger = logging.getLogger(__name__)

# The placeholder sender of emails without a usable From. ".invalid" (RFC 2606) can never be
# a real address; it is stored as is, without the validation real addresses get.
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


def process_inbound_email(
    inbound_id: int, *, inbound: InboundEmail | None = None, acknowledge: bool = True
) -> Message | None:
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
            if not claim_for_processing(inbound):
                # None for a report of undelivered mail, which is no message.
                return Message.objects.filter(raw_email=inbound).first()
            return store_parsed_emails([(inbound, parsed)], acknowledge=acknowledge)[0]
    except Exception as error:
        logger.exception("inbound email %s could not be stored", inbound_id)
        return store_unreadable_email(inbound, error)


def claim_for_processing(inbound: InboundEmail) -> bool:
    """Mark the email processed in the caller's transaction; False if another worker has."""
    # The conditional UPDATE locks the row, so two workers cannot both store the email.
    claimed = InboundEmail.objects.filter(pk=inbound.pk).exclude(
        status=InboundEmail.Status.PROCESSED
    ).update(
        status=InboundEmail.Status.PROCESSED,
        processed_at=timezone.now(),
        error="",
        attempts=F("attempts") + 1,
    )
    return claimed == 1


def store_parsed_emails(
    emails: list[tuple[InboundEmail, ParsedEmail]], *, acknowledge: bool
) -> list[Message | None]:
    """Store parsed emails, in the caller's transaction; one message each, or None.

    A report of undelivered mail or a complaint about one of our sends is recorded as a
    bounce, not as a message: None (the raw email stays, processed). An internal service's
    answer to a forward goes to its conversation as an internal message
    (comptoir.escalations); every other email is a customer's.
    """
    returned = [record_returned_mail(inbound, parsed) for inbound, parsed in emails]
    if any(returned):
        rest = [email for email, is_report in zip(emails, returned) if not is_report]
        stored = iter(store_parsed_emails(rest, acknowledge=acknowledge) if rest else [])
        return [None if is_report else next(stored) for is_report in returned]
    answers = escalations.store_forward_answers(emails)
    if not any(answers):
        return store_customer_emails(emails, acknowledge=acknowledge)
    rest = [email for email, answer in zip(emails, answers) if answer is None]
    stored = iter(store_customer_emails(rest, acknowledge=acknowledge) if rest else [])
    return [answer or next(stored) for answer in answers]


def store_customer_emails(
    emails: list[tuple[InboundEmail, ParsedEmail]], *, acknowledge: bool
) -> list[Message]:
    """Thread and store customers' emails, in the caller's transaction; one message each.

    One path for one email (SMTP, IMAP) and for a batch (file import): a batch costs a
    handful of queries in all rather than a dozen per email.
    """
    senders = [sender_address(parsed) for _, parsed in emails]
    customers_by_address = customers.find_or_create_customers_by_email(
        {sender: parsed.from_name for sender, (_, parsed) in zip(senders, emails)}
    )
    all_clues = [
        threading_clues(inbound, parsed, customers_by_address[sender])
        for sender, (inbound, parsed) in zip(senders, emails)
    ]
    lookup = ConversationLookup(all_clues)
    now = timezone.now()
    new_conversations: list[Conversation] = []
    touched: dict[int, Conversation] = {}
    messages: list[Message] = []
    reopened: list[Conversation] = []
    for sender, (inbound, parsed), clues in zip(senders, emails, all_clues):
        customer = customers_by_address[sender]
        conversation = lookup.find(clues)
        if conversation is None or conversation.status == Conversation.Status.CLOSED:
            conversation = Conversation(
                customer=customer, subject=(parsed.subject or "(sans objet)")[:998]
            )
            new_conversations.append(conversation)
        elif conversation.pk:
            touched[conversation.pk] = conversation
        if conversations.note_customer_activity(conversation, at=now):
            reopened.append(conversation)
        if parsed.defects:
            conversation.needs_attention = True
            conversation.attention_reason = (
                "Email partly unreadable: " + ", ".join(parsed.defects)
            )[:200]
        lookup.remember(parsed.message_id, conversation)
        messages.append(inbound_message(inbound, parsed, conversation, customer))
    # SLA: due times of the new conversations (saved by the insert below) and the
    # restarted clocks of the ones this customer reopened by writing (saved by this call).
    sla.update_clocks_for_inbound(new=new_conversations, touched=touched.values())
    insert_objects(new_conversations)
    insert_objects(messages)
    save_touched_conversations(touched.values(), now)
    record_reopenings(reopened, now)
    opened = {id(conversation) for conversation in new_conversations}
    for message, (inbound, parsed) in zip(messages, emails):
        store_attachments(message, parsed)
        if acknowledge and id(message.conversation) in opened:
            opened.discard(id(message.conversation))  # one acknowledgement per conversation
            acknowledgement.acknowledge_new_conversation(message=message, parsed=parsed)
    return messages


def record_returned_mail(inbound: InboundEmail, parsed: ParsedEmail) -> bool:
    """A bounce or complaint about one of our sends: record it (the suppression list follows),
    flag the conversation whose reply did not arrive, so an agent tries another way; say
    whether it was one (then it opens no conversation: nobody is to answer a mail server).

    Only automated mail, or mail to a bounce address, is examined: reports come from mail
    servers, never from a person.
    """
    # The head only: copying every customer's whole email to look for a report is waste.
    head = bytes(inbound.raw[:16384]).lower()
    to_bounce_address = verp.delivery_id_from_addresses([*inbound.envelope_to, *parsed.to])
    if not (parsed.auto_submitted or b"multipart/report" in head or to_bounce_address):
        return False
    raw = bytes(inbound.raw)
    report = classify_message(raw)
    if not (report.is_bounce or report.kind == BounceKind.COMPLAINT):
        return False
    delivery_id = to_bounce_address or verp.delivery_id_from_email(raw, inbound.envelope_to)
    returned = messaging.record_returned_mail(
        report=report, inbound=inbound, delivery_id=delivery_id
    )
    delivery = returned.delivery
    if delivery is not None and delivery.message_id is not None and report.is_bounce:
        bounce = returned.bounces[0] if returned.bounces else None
        conversations.flag_conversation(
            conversation=delivery.message.conversation,
            reason=f"Email not delivered to {delivery.recipient}: {report.kind} bounce"
            + (f" {bounce.status}" if bounce and bounce.status else ""),
        )
    return True


def save_touched_conversations(touched: Iterable[Conversation], now: datetime) -> None:
    """Save the existing conversations a batch wrote to, in a few UPDATEs by new state
    (bulk_update's CASE per row costs more than the inserts of the whole batch)."""
    by_state: dict[tuple, list[int]] = {}
    for conversation in touched:
        state = (conversation.status, conversation.needs_attention, conversation.attention_reason)
        by_state.setdefault(state, []).append(conversation.pk)
    for (status, needs_attention, attention_reason), pks in by_state.items():
        # An open conversation has no resolution time (a reopened one loses its old one).
        cleared = {"resolved_at": None} if status == Conversation.Status.OPEN else {}
        Conversation.objects.filter(pk__in=pks).update(
            status=status, needs_attention=needs_attention, attention_reason=attention_reason,
            last_message_at=now, updated_at=now, **cleared,
        )


def record_reopenings(reopened: list[Conversation], now: datetime) -> None:
    """Record that the customer reopened these resolved conversations (the reopen rate)."""
    if reopened:
        ConversationEvent.objects.bulk_create(
            ConversationEvent(conversation=c, kind=ConversationEvent.Kind.REOPENED, at=now)
            for c in {c.pk: c for c in reopened}.values()
        )


def sender_address(parsed: ParsedEmail) -> str:
    """The normalised sender; without a usable one (missing or broken From), a placeholder
    customer an agent can fix holds the email rather than losing it."""
    try:
        return normalise_email(parsed.from_address)
    except InvalidIdentity:
        return UNKNOWN_SENDER


def threading_clues(inbound: InboundEmail, parsed: ParsedEmail, customer) -> ThreadingClues:  # noqa: ANN001
    return ThreadingClues(
        message_ids=[m for m in [parsed.in_reply_to, *reversed(parsed.references)] if m],
        recipient_addresses=[*parsed.to, *parsed.cc, *inbound.envelope_to],
        subject=parsed.subject,
        customer_id=customer.pk,
    )


def inbound_message(
    inbound: InboundEmail, parsed: ParsedEmail, conversation: Conversation, customer  # noqa: ANN001
) -> Message:
    return Message(
        conversation=conversation,
        direction=Message.Direction.INBOUND,
        customer=customer,
        **email_fields(inbound, parsed),
    )


def email_fields(inbound: InboundEmail, parsed: ParsedEmail) -> dict[str, object]:
    """The fields of a Message that a received email fills, cut to their columns' sizes."""
    return {
        "subject": parsed.subject[:998],
        "from_address": parsed.from_address[:320],
        "from_name": parsed.from_name[:200],
        "to": parsed.to,
        "cc": parsed.cc,
        "reply_to": parsed.reply_to,
        "message_id": parsed.message_id[:998],
        "in_reply_to": parsed.in_reply_to[:998],
        "references": parsed.references,
        "text": parsed.text,
        "html": parsed.html,
        "reply_text": parsed.reply_text,
        "language": parsed.language[:8],
        "auto_submitted": parsed.auto_submitted,
        "sent_at": parsed.date,
        "raw_email": inbound,
    }


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
        customer = customers.find_or_create_customers_by_email({UNKNOWN_SENDER: ""})[UNKNOWN_SENDER]
        conversation = conversations.open_conversation(
            customer=customer, subject="Email illisible / unreadable email"
        )
        conversations.flag_conversation(
            conversation=conversation, reason=f"Unreadable email: {type(error).__name__}"
        )
        return conversations.add_inbound_message(
            conversation=conversation,
            # PostgreSQL refuses NUL in text: the raw email keeps the original bytes.
            text=bytes(inbound.raw)[:100_000].decode("utf-8", errors="replace").replace("\x00", ""),
            raw_email=inbound,
        )


def ingest_raw_email(
    raw: bytes, *, source: str, acknowledge: bool = True
) -> tuple[Received, Message | None]:
    """Store and at once process an email, for callers that acknowledge only once both are
    done (IMAP). One commit: processing runs in a savepoint inside the transaction that
    stores the raw email, so a processing failure still keeps the raw."""
    with transaction.atomic():
        received = receive_raw_email(raw, source=source)
        if not received.created:
            return received, None
        message = process_inbound_email(
            received.inbound.pk, inbound=received.inbound, acknowledge=acknowledge
        )
        return received, message


def ingest_batch(raws: list[bytes], *, source: str, acknowledge: bool = False) -> list[bool]:
    """Store and process many emails (a file import) in one transaction, in a few queries.

    Returns, for each raw email, whether it was new (False: already stored, or a copy of an
    earlier one in the batch). On failure nothing of the batch is stored and the error is
    raised: the caller redoes the batch one email at a time with ingest_raw_email, where a
    failure is kept apart. Imported mail is history: by default no acknowledgement is sent.
    """
    keys = [dedupe_key_for(raw) for raw in raws]
    known = set(
        InboundEmail.objects.filter(dedupe_key__in=[key for key, _ in keys]).values_list(
            "dedupe_key", flat=True
        )
    )
    new: dict[str, InboundEmail] = {}
    parsed: dict[str, ParsedEmail | None] = {}
    created = []
    for raw, (key, message_id) in zip(raws, keys):
        is_new = key not in known and key not in new
        created.append(is_new)
        if is_new:
            parsed[key] = parse_or_none(raw)
            new[key] = InboundEmail(
                dedupe_key=key, message_id=message_id, source=source[:200], raw=raw,
                size=len(raw),
            )
    now = timezone.now()
    for key, inbound in new.items():
        if parsed[key]:  # stored just below, in this same transaction
            inbound.status = InboundEmail.Status.PROCESSED
            inbound.processed_at, inbound.attempts = now, 1
    with transaction.atomic():
        insert_objects(list(new.values()))
        store_parsed_emails(
            [(new[key], email) for key, email in parsed.items() if email], acknowledge=acknowledge
        )
    for key, email in parsed.items():
        if email is None:
            process_inbound_email(new[key].pk, acknowledge=acknowledge)  # keeps it, flagged
    return created


def parse_or_none(raw: bytes) -> ParsedEmail | None:
    try:
        return parse_email(raw)
    except Exception:  # the parser should never raise; the email is then stored unreadable
        logger.exception("an email could not be parsed")
        return None


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
