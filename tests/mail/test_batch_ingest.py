"""The batched ingest path of file imports: same results as one email at a time."""

import pytest
from django.db import IntegrityError

from comptoir.conversations.models import Conversation, Message
from comptoir.customers.models import Customer
from comptoir.mail import inbound
from comptoir.mail.inbound import ingest_raw_emails
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


def test_a_whole_exchange_in_one_batch_threads_into_its_conversations():
    counts = ingest_raw_emails(
        [a_request(1), a_request(2), a_reply(3, answering=1), a_reply(4, answering=2)],
        source="import",
    )
    assert (counts.imported, counts.already_known) == (4, 0)
    assert Conversation.objects.count() == 2
    first = Conversation.objects.get(subject="Demande 1")
    assert list(first.messages.values_list("message_id", flat=True)) == [
        "req-1@example.fr", "rep-3@example.fr",
    ]
    assert Customer.objects.count() == 1  # one sender, one customer record
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {"processed"}


def test_a_reply_in_a_later_batch_joins_and_reopens_the_conversation():
    ingest_raw_emails([a_request(1)], source="import")
    Conversation.objects.update(status=Conversation.Status.RESOLVED)
    ingest_raw_emails([a_reply(2, answering=1)], source="import")
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.messages.count() == 2


def test_a_reply_to_a_closed_conversation_opens_a_new_one():
    ingest_raw_emails([a_request(1)], source="import")
    Conversation.objects.update(status=Conversation.Status.CLOSED)
    ingest_raw_emails([a_reply(2, answering=1)], source="import")
    assert Conversation.objects.count() == 2


def test_copies_within_a_batch_and_across_runs_are_stored_once():
    counts = ingest_raw_emails([a_request(1), a_request(1), a_request(2)], source="import")
    assert (counts.imported, counts.already_known) == (2, 1)
    again = ingest_raw_emails([a_request(1), a_request(2)], source="import")
    assert (again.imported, again.already_known) == (0, 2)
    assert Message.objects.count() == 2


def test_imported_history_gets_no_acknowledgement():
    ingest_raw_emails([a_request(1)], source="import")
    assert Delivery.objects.count() == 0


def test_batches_split_a_long_import_and_still_thread_across_them():
    raws = [a_request(n) for n in range(5)] + [a_reply(10 + n, answering=n) for n in range(5)]
    counts = ingest_raw_emails(raws, source="import", batch_size=3)
    assert counts.imported == 10
    assert Conversation.objects.count() == 5


def test_a_failing_batch_is_redone_one_email_at_a_time(monkeypatch):
    calls = {"batch": 0}
    real_store = inbound.store_parsed_emails

    def fails_on_batches(emails, *, acknowledge):
        if len(emails) > 1:  # as if another import had just created the same customer
            calls["batch"] += 1
            raise IntegrityError("identity_unique_value")
        return real_store(emails, acknowledge=acknowledge)

    monkeypatch.setattr(inbound, "store_parsed_emails", fails_on_batches)
    counts = ingest_raw_emails([a_request(1), a_request(2), a_request(3)], source="import")
    assert calls["batch"] == 1
    assert counts.imported == 3
    assert Conversation.objects.count() == 3


def test_an_email_the_parser_chokes_on_is_kept_flagged(monkeypatch):
    real_parse = inbound.parse_email

    def chokes_on_the_second(raw):
        if b"Demande 2" in raw:
            raise ValueError("parser bug")
        return real_parse(raw)

    monkeypatch.setattr(inbound, "parse_email", chokes_on_the_second)
    counts = ingest_raw_emails([a_request(1), a_request(2)], source="import")
    assert counts.imported == 2
    unreadable = Conversation.objects.get(needs_attention=True)
    assert "Unreadable" in unreadable.attention_reason
    assert InboundEmail.objects.filter(status=InboundEmail.Status.FAILED).count() == 1
