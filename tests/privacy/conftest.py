"""A customer with something in every corner of the database, and ways to read it all back.

Philomène Zorglub writes with an attachment, is acknowledged, answered and discussed in an
internal note, gave consents from a web form, has preferences, a phone number, a business
event, a segment, a profile change, a bounced address on the suppression list and a line
in Django's admin history. Paul Durand, another customer, must come out of every operation
on her untouched.
"""

from datetime import datetime
from email.message import EmailMessage
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client

from comptoir.consents.models import Channel, ConsentStatus, Preference, Purpose, Source
from comptoir.consents.services import Proof, record_consent, suppress_address
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Message
from comptoir.customers.models import BusinessEvent, Customer, Identity, ProfileChange, Segment
from comptoir.mail.inbound import process_inbound_email, receive_raw_email

EMAIL = "philomene.zorglub@exemple.fr"
PHONE = "+33611223344"
IP_ADDRESS = "203.0.113.77"
ATTACHMENT_CONTENT = b"%PDF-1.4 ZORGLUB-FACTURE-CONTENU-SECRET"
# What must appear nowhere once she is erased.
ERASED_VALUES = [
    "Philomène",
    "Zorglub",
    EMAIL,
    "philomene.zorglub",
    PHONE,
    "611223344",
    IP_ADDRESS,
    "parapluie",
    "Zanzibar",
    "mandarine",
    "ZORGLUB-FACTURE",
]


def email_with_attachment(
    *,
    sender: str = f"Philomène Zorglub <{EMAIL}>",
    subject: str = "Parapluie cassé, commande Zanzibar",
    body: str = "Bonjour,\n\nMon parapluie mandarine est arrivé cassé.\n\nPhilomène Zorglub",
    message_id: str = "<zanzibar-1@exemple.fr>",
    attachment: bytes | None = ATTACHMENT_CONTENT,
    filename: str = "facture-zorglub.pdf",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@shop.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Mon, 23 Nov 2026 10:00:00 +0100"
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename=filename)
    return message.as_bytes()


def ingest(raw: bytes, envelope_from: str = EMAIL) -> Message:
    received = receive_raw_email(raw, source="test", envelope_from=envelope_from)
    message = process_inbound_email(received.inbound.pk)
    assert message is not None
    return message


def give_history(
    customer: Customer, *, admin: Any, agent: Any, segment: Segment, ip_address: str
) -> None:
    """Consents, preferences, an event, a segment, a profile change, an admin log line."""
    proof = Proof(
        source=Source.FORM,
        ip_address=ip_address,
        user_agent="Mozilla/5.0",
        evidence="formulaire newsletter",
    )
    for channel in (Channel.EMAIL, Channel.SMS):
        record_consent(
            customer=customer,
            purpose=Purpose.MARKETING,
            channel=channel,
            status=ConsentStatus.GRANTED,
            proof=proof,
        )
    Preference.objects.create(customer=customer, topics=["offers"])
    BusinessEvent.objects.create(
        customer=customer,
        kind=BusinessEvent.Kind.ORDER_PLACED,
        occurred_at=datetime.fromisoformat("2026-11-20T10:00:00+01:00"),
        source="shop",
        external_id=f"order-{customer.pk}",
        title=f"Commande de {customer.first_name} {customer.last_name}",
        amount="49.90",
        currency="EUR",
        data={"shipping_to": f"{customer.first_name} {customer.last_name}"},
    )
    segment.customers.add(customer)
    ProfileChange.objects.create(
        customer=customer,
        source=ProfileChange.Source.AGENT,
        changes={"first_name": ["", customer.first_name]},
        agent=agent,
    )
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(customer.pk),
        object_repr=str(customer),
        action_flag=CHANGE,
        change_message="[]",
    )


@pytest.fixture
def segment(db) -> Segment:
    return Segment.objects.create(name="Clients fidèles")


@pytest.fixture
def philomene(db, admin_agent, agent, segment) -> Customer:
    message = ingest(email_with_attachment())
    customer = message.customer
    assert customer is not None and customer.first_name == "Philomène"
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value=PHONE)
    conversation = message.conversation
    conversations.reply_to_conversation(
        conversation=conversation,
        agent=agent,
        text="Bonjour Philomène, nous renvoyons un parapluie mandarine.",
    )
    conversations.add_note(
        conversation=conversation, agent=agent, text="Mme Zorglub a déjà eu un souci à Zanzibar."
    )
    give_history(customer, admin=admin_agent, agent=agent, segment=segment, ip_address=IP_ADDRESS)
    suppress_address(value=EMAIL, channel=Channel.EMAIL, reason="hard_bounce")
    return customer


@pytest.fixture
def paul(db, admin_agent, agent, segment) -> Customer:
    message = ingest(
        email_with_attachment(
            sender="Paul Durand <paul.durand@example.com>",
            subject="Question sur ma facture",
            body="Bonjour, où est ma facture ? Paul",
            message_id="<paul-1@example.com>",
            attachment=b"facture de Paul",
            filename="facture-paul.pdf",
        ),
        envelope_from="paul.durand@example.com",
    )
    customer = message.customer
    give_history(
        customer, admin=admin_agent, agent=agent, segment=segment, ip_address="198.51.100.9"
    )
    return customer


@pytest.fixture
def admin_client(client: Client, admin_agent) -> Client:
    client.force_login(admin_agent)
    return client


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def as_text(value: Any) -> str | bytes:
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).lower()
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False).lower()
    return str(value).lower()


def scan_database(needles: list[str]) -> set[tuple[str, str, str]]:
    """Return (table, column, needle) for every needle found in any column of any table.

    Every concrete model of every installed app, many-to-many tables included, every column
    whatever its type: text, JSON and binary columns are read back and searched.
    """
    found = set()
    lowered = [(needle, needle.lower()) for needle in needles]
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        fields: list[models.Field] = list(model._meta.concrete_fields)
        rows = model._base_manager.values_list(*[f.attname for f in fields])
        for values in rows.iterator():
            for field, value in zip(fields, values, strict=True):
                if value is None:
                    continue
                text = as_text(value)
                for needle, lower in lowered:
                    hit = lower.encode() in text if isinstance(text, bytes) else lower in text
                    if hit:
                        found.add((model._meta.db_table, field.column, needle))
    return found


def dump_database(exclude_apps: tuple[str, ...] = ("privacy", "sessions", "admin")) -> dict:
    """Every row of every table, by table and primary key: to compare two states exactly."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or model._meta.app_label in exclude_apps:
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        state[model._meta.db_table] = {
            values[0]: values
            for values in model._base_manager.order_by("pk").values_list("pk", *fields)
        }
    return state
