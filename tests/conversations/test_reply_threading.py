"""Which conversation an incoming email belongs to."""

import pytest

from comptoir.conversations.reply_threading import (
    conversation_id_from_addresses,
    reply_address,
    reply_token_signature,
)
from comptoir.conversations.models import Conversation
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from tests.conftest import make_email


def test_reply_address_carries_a_token_that_names_the_conversation(settings):
    settings.COMPTOIR_SUPPORT_ADDRESS = "support@shop.example"
    address = reply_address(42)
    assert address.startswith("support+c42-") and address.endswith("@shop.example")
    assert conversation_id_from_addresses(["x@y.fr", address]) == 42


def test_a_forged_reply_token_is_ignored():
    forged = f"support+c43-{reply_token_signature(42)}@shop.example"
    assert conversation_id_from_addresses([forged]) is None


@pytest.mark.django_db
def test_email_without_any_clue_opens_a_new_conversation():
    process_inbound_email(receive_raw_email(make_email(), source="test").inbound.pk)
    process_inbound_email(
        receive_raw_email(
            make_email(message_id="<other@example.fr>", subject="Autre question"), source="test"
        ).inbound.pk
    )
    assert Conversation.objects.count() == 2


@pytest.mark.django_db
def test_reply_to_a_closed_conversation_starts_a_new_one():
    first = process_inbound_email(receive_raw_email(make_email(), source="test").inbound.pk)
    Conversation.objects.filter(pk=first.conversation_id).update(status=Conversation.Status.CLOSED)
    answer = process_inbound_email(
        receive_raw_email(
            make_email(
                message_id="<later@example.fr>",
                headers={"In-Reply-To": "<abc123@example.fr>"},
            ),
            source="test",
        ).inbound.pk
    )
    assert answer.conversation_id != first.conversation_id
