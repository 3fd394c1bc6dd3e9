"""Export of everything held about a person: a zip with customer.json, attachments, emails.

The right of access and portability (GDPR articles 15 and 20). customer.json holds the
record, its identities, the consent ledger with its proofs, preferences, suppressions of
their addresses, every conversation with its messages (internal notes included: they are
data about the person), deliveries, every other row that points at the record (found from
the model meta), the merges into it and the audit log of the record. Attachments are under
attachments/ and the raw emails as received under emails/, both named in customer.json.
"""

import io
import re
import json
import zipfile
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from comptoir.consents.models import ConsentRecord, Preference, Suppression
from comptoir.consents.rules import hashed_value
from comptoir.conversations.models import Conversation, Message
from comptoir.customers.models import Customer, Identity
from comptoir.privacy.models import AuditEntry, MergeRecord
from comptoir.privacy.relations import customer_relations

FORMAT = "comptoir-customer-export/1"

# Exported in their own sections of customer.json.
SECTIONS = {
    "customers.identity",
    "consents.consentrecord",
    "consents.preference",
    "conversations.conversation",
    "conversations.message",
    # The people of a company record are other persons: not part of the company's export.
    "customers.customer",
}


def row(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the columns of a row as JSON-ready values (binary columns left out)."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude or isinstance(field, models.BinaryField):
            continue
        value = field.value_from_object(instance)
        if isinstance(field, models.FileField):
            value = value.name or ""
        data[field.attname if field.is_relation else field.name] = value
    return data


def export_customer(customer: Customer) -> bytes:
    """Return a zip of everything held about the customer."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        identities = list(Identity.objects.filter(customer=customer).order_by("pk"))
        document: dict[str, Any] = {
            "format": FORMAT,
            "exported_at": timezone.now(),
            "customer": row(customer),
            "identities": [row(i) for i in identities],
            "consents": [
                row(r) for r in ConsentRecord.objects.filter(customer=customer).order_by("pk")
            ],
            "preference": next(
                (row(p) for p in Preference.objects.filter(customer=customer)), None
            ),
            "suppressions": list_suppressions(identities),
            "conversations": export_conversations(customer, archive),
            "other": {
                relation.label: [row(r) for r in relation.rows_of(customer.pk).order_by("pk")]
                for relation in customer_relations()
                if relation.label not in SECTIONS
            },
            "merges": [
                row(m, exclude=("snapshot", "kept_before"))
                for m in MergeRecord.objects.filter(kept_id=customer.pk)
            ],
            "audit": [row(e) for e in AuditEntry.objects.filter(customer_id=customer.pk)],
        }
        archive.writestr(
            "customer.json",
            json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        )
    return buffer.getvalue()


def list_suppressions(identities: list[Identity]) -> list[dict[str, Any]]:
    values = [i.value for i in identities]
    hashed = {hashed_value(v): v for v in values}
    return [
        row(s) | {"value": hashed.get(s.value, s.value)}
        for s in Suppression.objects.filter(value__in=[*values, *hashed]).order_by("pk")
    ]


def export_conversations(customer: Customer, archive: zipfile.ZipFile) -> list[dict[str, Any]]:
    """Return the customer's conversations with their messages, writing files to the zip."""
    conversation_ids = set(
        Conversation.objects.filter(customer=customer).values_list("pk", flat=True)
    ) | set(Message.objects.filter(customer=customer).values_list("conversation_id", flat=True))
    messages = (
        Message.objects.filter(conversation_id__in=conversation_ids)
        .select_related("raw_email")
        .prefetch_related("attachments", "deliveries")
        .order_by("created_at", "pk")
    )
    by_conversation: dict[int, list[dict[str, Any]]] = {}
    for message in messages:
        data = row(message)
        if message.raw_email is not None and message.raw_email.raw:
            name = f"emails/{message.raw_email_id}.eml"
            archive.writestr(name, bytes(message.raw_email.raw))
            data["raw_email_file"] = name
        data["attachments"] = [
            export_attachment(attachment, archive) for attachment in message.attachments.all()
        ]
        data["deliveries"] = [row(d) for d in message.deliveries.all()]
        by_conversation.setdefault(message.conversation_id, []).append(data)
    return [
        row(conversation) | {"messages": by_conversation.get(conversation.pk, [])}
        for conversation in Conversation.objects.filter(pk__in=conversation_ids).order_by("pk")
    ]


def export_attachment(attachment: Any, archive: zipfile.ZipFile) -> dict[str, Any]:
    data = row(attachment)
    if attachment.file:
        safe_name = re.sub(r"[^\w.-]+", "_", attachment.filename).strip("._") or "file"
        name = f"attachments/{attachment.pk}-{safe_name[:100]}"
        try:
            with attachment.file.open("rb") as content:
                archive.writestr(name, content.read())
        except FileNotFoundError:
            name = ""  # Lost from storage: the raw email still has it.
        data["file"] = name
    return data
