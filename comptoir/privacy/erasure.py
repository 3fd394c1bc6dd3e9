"""Erasure: a customer's personal data removed everywhere, their statistics kept.

What goes: the names and profile text of the record, its identities, the consent ledger and
preferences, every message body, subject and address in their conversations (replies and
internal notes included, since they quote and name the person), the raw emails, the
attachments (rows and files), the acknowledgement log of their addresses, the recipient of
every delivery to them, their letters (rows and PDFs), the numbers their SMS went to, the
admin log lines that name them, and the undo snapshots of their merges. Every other row
pointing at the record (a business event, a profile change…) keeps its non-personal columns
and loses its free text (see relations.text_field_blanks); rows of a many-to-many table
(segment membership) are deleted.

What stays: the record itself, an anonymous shell (conversations need it), with its kind and
dates; conversations and messages as shells (channel, direction, status, team, assignee, every
date), so that volumes, response times and SLA figures do not change; deliveries' channels
and statuses; and the person's addresses as keyed hashes on the suppression list, so that
they are never prospected again (consents.services.erase_consent_history).
"""

from collections.abc import Iterable

from django.contrib.admin.models import LogEntry
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat, Lower

from comptoir.agents.models import Agent
from comptoir.consents import services as consents
from comptoir.consents.models import Channel
from comptoir.conversations.models import Attachment, Conversation, Message
from comptoir.customers.models import Customer, Identity
from comptoir.letters.models import Letter
from comptoir.mail.models import AutoReplyLog, InboundEmail
from comptoir.messaging.models import Delivery, TrackingEvent
from comptoir.privacy.audit import Actor, record_action
from comptoir.privacy.models import AuditEntry, MergeRecord
from comptoir.privacy.relations import customer_relations, text_field_blanks
from comptoir.sms.models import SmsSend

# Relations erased by name below; every other one is handled by the generic rule.
HANDLED = {
    "customers.identity",
    "conversations.conversation",
    "conversations.message",
    "consents.consentrecord",
    "consents.preference",
    # People of a company record point at it: they are other persons, left as they are.
    "customers.customer",
}

# Short codes the generic rule would blank but that say nothing about the person.
KEEP_COLUMNS = {
    "customers.businessevent": ("source", "currency"),
    # Email, SMS or letter: the figures per channel. (A dedupe key goes: a shop may write an
    # address into the one it gives the API.)
    "messaging.delivery": ("channel",),
    "consents.solicitation": ("kind", "source"),
}

MESSAGE_BLANKS = {
    "subject": "",
    "from_address": "",
    "from_name": "",
    "to": [],
    "cc": [],
    "reply_to": [],
    # Message-IDs are often built from the sender's address or name.
    "message_id": "",
    "in_reply_to": "",
    "references": [],
    "text": "",
    "html": "",
    "reply_text": "",
}

CHANNEL_OF_IDENTITY = {Identity.Kind.EMAIL: Channel.EMAIL, Identity.Kind.PHONE: Channel.SMS}


class ErasureError(Exception):
    """The record cannot be erased (it already was)."""


def erase_customer(
    *, customer: Customer, actor: Agent | Actor, action: str = AuditEntry.Action.ERASED
) -> AuditEntry:
    """Anonymise the customer everywhere and record it in the audit log.

    `action` is `anonymised` when a retention rule, not a request, erases the record.
    Attachment files are deleted from storage once the transaction commits.
    """
    with transaction.atomic():
        locked = Customer.objects.select_for_update().filter(pk=customer.pk).first()
        if locked is None:
            raise ErasureError("This customer does not exist.")
        if AuditEntry.objects.filter(
            customer_id=customer.pk,
            action__in=[AuditEntry.Action.ERASED, AuditEntry.Action.ANONYMISED],
        ).exists():
            raise ErasureError("This customer has already been erased.")
        identities = list(Identity.objects.filter(customer=customer))
        emails = [i.value for i in identities if i.kind == Identity.Kind.EMAIL]
        names = [
            value
            for value in (customer.first_name, customer.last_name, customer.company_name)
            if value
        ]

        addresses = [i.value for i in identities]
        counts = erase_letters_and_sms_numbers(customer.pk, addresses)
        counts |= erase_conversations(customer.pk, emails, addresses)
        counts["auto_reply_log"] = AutoReplyLog.objects.filter(address__in=emails).delete()[0]
        counts["consent_records"] = consents.erase_consent_history(
            customer=customer,
            addresses={
                i.value: CHANNEL_OF_IDENTITY[i.kind]
                for i in identities
                if i.kind in CHANNEL_OF_IDENTITY
            },
        )
        counts["identities"] = Identity.objects.filter(customer=customer).delete()[0]
        counts |= erase_other_relations(customer.pk)
        # Opens and clicks name the person's device and the links made for them; the first
        # open and click stay on each delivery, for the campaigns' figures.
        counts["tracking_events"] = TrackingEvent.objects.filter(
            delivery__customer_id=customer.pk
        ).delete()[0]
        Customer.objects.filter(pk=customer.pk).update(**text_field_blanks(Customer))
        # Undo snapshots hold the merged person's whole record.
        MergeRecord.objects.filter(Q(kept_id=customer.pk) | Q(merged_id=customer.pk)).update(
            snapshot={}, kept_before={}
        )
        counts["admin_log"] = scrub_admin_log([*names, *(i.value for i in identities)])
        entry = record_action(actor=actor, action=action, customer_id=customer.pk, details=counts)
    customer.refresh_from_db()
    return entry


def erase_conversations(
    customer_id: int, emails: list[str], addresses: list[str]
) -> dict[str, int]:
    """Blank the conversations of the customer, keeping them as anonymous shells."""
    # Subqueries, not lists of ids: a customer may have tens of thousands of messages.
    conversations = Conversation.objects.filter(
        Q(customer_id=customer_id)
        | Q(pk__in=Message.objects.filter(customer_id=customer_id).values("conversation_id"))
    )
    messages = Message.objects.filter(
        Q(conversation__in=conversations.values("pk")) | Q(customer_id=customer_id)
    )
    inbound_emails = InboundEmail.objects.filter(
        Q(pk__in=messages.filter(raw_email__isnull=False).values("raw_email_id"))
        # Emails from them that never became a message (still waiting, or failed).
        | Q(
            pk__in=InboundEmail.objects.annotate(sender=Lower("envelope_from"))
            .filter(sender__in=emails)
            .values("pk")
        )
    )
    attachments = Attachment.objects.filter(message__in=messages.values("pk"))
    delete_files_on_commit(name for name in attachments.values_list("file", flat=True) if name)
    counts = {
        "conversations": conversations.count(),
        "messages": messages.count(),
        "inbound_emails": inbound_emails.count(),
        "attachments": attachments.delete()[0],
    }
    counts["deliveries"] = Delivery.objects.filter(
        Q(message__in=messages.values("pk")) | Q(recipient__in=addresses)
    ).update(
        # One message is sent once per recipient: each erased recipient stays distinct.
        recipient=Concat(Value("erased:"), Cast(F("pk"), CharField())),
        last_error="",
    )
    InboundEmail.objects.filter(pk__in=inbound_emails.values("pk")).update(
        raw=b"",
        envelope_from="",
        envelope_to=[],
        message_id="",
        error="",
        # Unique, and made from the Message-ID: keep it unique, drop the Message-ID.
        dedupe_key=Concat(Value("erased:"), Cast(F("pk"), CharField())),
    )
    Message.objects.filter(pk__in=messages.values("pk")).update(**MESSAGE_BLANKS)
    Conversation.objects.filter(pk__in=conversations.values("pk")).update(subject="")
    return counts


def erase_letters_and_sms_numbers(customer_id: int, addresses: list[str]) -> dict[str, int]:
    """What hangs off their deliveries rather than off the record: the letters (their PDFs
    hold the name, the postal address and the letter; the rows are the print queue) and the
    numbers their SMS went to, kept beside each send."""
    deliveries = Delivery.objects.filter(
        Q(customer_id=customer_id) | Q(recipient__in=addresses)
    ).values("pk")
    letters = Letter.objects.filter(delivery__in=deliveries)
    delete_files_on_commit(name for name in letters.values_list("file", flat=True) if name)
    return {
        "letters": letters.delete()[0],
        "sms_sends": SmsSend.objects.filter(delivery__in=deliveries).update(to=""),
    }


def erase_other_relations(customer_id: int) -> dict[str, int]:
    """Apply the generic rule to every relation not erased by name above."""
    counts: dict[str, int] = {}
    for relation in customer_relations():
        if relation.label in HANDLED:
            continue
        rows = relation.rows_of(customer_id)
        if relation.model._meta.auto_created:
            counts[relation.label] = rows.delete()[0]
            continue
        # The row stays for the statistics (an order's amount and date), without its text.
        blanks = text_field_blanks(relation.model, keep=KEEP_COLUMNS.get(relation.label, ()))
        counts[relation.label] = rows.update(**blanks) if blanks else rows.count()
    return counts


def scrub_admin_log(values: Iterable[str]) -> int:
    """Blank Django admin history lines that name the person (object labels, messages)."""
    query = Q()
    for value in values:
        if len(value) >= 3:
            query |= Q(object_repr__icontains=value) | Q(change_message__icontains=value)
    if not query:
        return 0
    return LogEntry.objects.filter(query).update(
        object_repr=Concat(Value("#"), F("object_id")), change_message=""
    )


def delete_files_on_commit(names: Iterable[str]) -> None:
    names = list(names)

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)
