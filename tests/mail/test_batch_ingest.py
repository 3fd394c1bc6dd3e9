"""The batched ingest path of file imports: the same results as one email at a time."""

import pytest
from django.db import IntegrityError

from comptoir.conversations.models import Conversation, Message
from comptoir.customers.models import Customer
from comptoir.mail import inbound, importing
from comptoir.mail.inbound import ingest_batch
from comptoir.mail.models import InboundEmail
from comptoir.messaging.models import Delivery
from tests.conftest import make_email

pytestmark = pytest.mark.django_db


def a_request(number: int, sender: str = "Jeanne Martin <jeanne.martin@example.fr>") -> bytes:
    return make_email(
        sender=sender, subject=f"Demande {number}", message_id=f"<req-{number}@example.fr>"
    )


def a_reply(number: int, answering: int) -> bytes:
    return make_email(
        subject=f"Re: Demande {answering}",
        message_id=f"<rep-{number}@example.fr>",
        headers={"In-Reply-To": f"<req-{answering}@example.fr>"},
    )


def import_files(tmp_path, raws: list[bytes], batch_size: int = 200) -> importing.ImportReport:
    for number, raw in enumerate(raws):
        (tmp_path / f"{number:04d}.eml").write_bytes(raw)
    return importing.import_emails(paths=[tmp_path], batch_size=batch_size)


def test_a_whole_exchange_in_one_batch_threads_into_its_conversations():
    created = ingest_batch(
        [a_request(1), a_request(2), a_reply(3, answering=1), a_reply(4, answering=2)],
        source="import",
    )
    assert created == [True, True, True, True]
    assert Conversation.objects.count() == 2
    first = Conversation.objects.get(subject="Demande 1")
    assert list(first.messages.values_list("message_id", flat=True)) == [
        "req-1@example.fr", "rep-3@example.fr",
    ]
    assert Customer.objects.count() == 1  # one sender, one customer record
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {"processed"}


def test_a_reply_in_a_later_batch_joins_and_reopens_the_conversation():
    ingest_batch([a_request(1)], source="import")
    Conversation.objects.update(status=Conversation.Status.RESOLVED)
    ingest_batch([a_reply(2, answering=1)], source="import")
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.messages.count() == 2


def test_a_reply_to_a_closed_conversation_opens_a_new_one():
    ingest_batch([a_request(1)], source="import")
    Conversation.objects.update(status=Conversation.Status.CLOSED)
    ingest_batch([a_reply(2, answering=1)], source="import")
    assert Conversation.objects.count() == 2


def test_copies_within_a_batch_and_across_batches_are_stored_once():
    assert ingest_batch([a_request(1), a_request(1), a_request(2)], source="import") == [
        True, False, True,
    ]
    assert ingest_batch([a_request(1), a_request(2)], source="import") == [False, False]
    assert Message.objects.count() == 2


def test_imported_history_gets_no_acknowledgement():
    ingest_batch([a_request(1)], source="import")
    assert Delivery.objects.count() == 0


def test_an_email_the_parser_chokes_on_is_kept_flagged(monkeypatch):
    real_parse = inbound.parse_email

    def chokes_on_the_second(raw):
        if b"Demande 2" in raw:
            raise ValueError("parser bug")
        return real_parse(raw)

    monkeypatch.setattr(inbound, "parse_email", chokes_on_the_second)
    assert ingest_batch([a_request(1), a_request(2)], source="import") == [True, True]
    unreadable = Conversation.objects.get(needs_attention=True)
    assert "Unreadable" in unreadable.attention_reason
    assert InboundEmail.objects.filter(status=InboundEmail.Status.FAILED).count() == 1


def test_an_import_in_several_batches_still_threads_across_them(tmp_path):
    raws = [a_request(n) for n in range(5)] + [a_reply(10 + n, answering=n) for n in range(5)]
    report = import_files(tmp_path, raws, batch_size=3)
    assert report.imported == 10
    assert Conversation.objects.count() == 5


def test_a_failing_batch_is_redone_one_email_at_a_time(tmp_path, monkeypatch):
    failures = []
    real_store = inbound.store_parsed_emails

    def fails_on_batches(emails, *, acknowledge):
        if len(emails) > 1:  # as if another import had just created the same customer
            failures.append(len(emails))
            raise IntegrityError("identity_unique_value")
        return real_store(emails, acknowledge=acknowledge)

    monkeypatch.setattr(inbound, "store_parsed_emails", fails_on_batches)
    report = import_files(tmp_path, [a_request(1), a_request(2), a_request(3)])
    assert failures == [3]
    assert (report.imported, report.already_known) == (3, 0)
    assert Conversation.objects.count() == 3


def test_a_nul_character_is_stored_without_it(tmp_path):
    # PostgreSQL refuses NUL in text; the raw email keeps it, the message is readable.
    ingest_batch([make_email(body="Bonjour\x00, ma commande")], source="import")
    message = Message.objects.get()
    assert "\x00" not in message.text and "ma commande" in message.text
    assert b"\x00" in bytes(message.raw_email.raw)
