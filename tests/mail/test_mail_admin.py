"""The admin of the email channel: mailboxes, raw inbound emails, and reprocessing them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comptoir.conversations.models import Conversation, Message
from comptoir.mail import inbound as inbound_module
from comptoir.mail.inbound import receive_raw_email, store_unreadable_email
from comptoir.mail.models import InboundEmail, Mailbox
from tests.conftest import make_email

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:mail_inboundemail_changelist"


@pytest.fixture
def admin_client(client, admin_agent):
    # The role admin carries every permission (see Agent.save).
    client.force_login(admin_agent)
    return client


def received(n: int = 1) -> InboundEmail:
    return receive_raw_email(make_email(message_id=f"<m{n}@example.fr>"), source="import").inbound


@pytest.fixture
def failed_with_placeholder() -> InboundEmail:
    """A failed email, kept raw in a flagged conversation, as store_unreadable_email leaves it."""
    inbound = received()
    store_unreadable_email(inbound, RuntimeError("parser bug"))
    inbound.refresh_from_db()
    assert inbound.status == InboundEmail.Status.FAILED
    return inbound


def reprocess(client, inbound: InboundEmail) -> str:
    response = client.post(
        reverse(CHANGELIST), {"action": "reprocess", "_selected_action": [inbound.pk]}, follow=True
    )
    [message] = [str(m) for m in response.context["messages"]]
    inbound.refresh_from_db()
    return message


def test_lists_load_for_an_admin_in_the_same_number_of_queries_for_1_or_20_emails(admin_client):
    Mailbox.objects.create(name="Support", host="imap.example.fr", username="support")
    received(0)
    admin_client.get(reverse(CHANGELIST))  # the first page of a session also notes presence
    with CaptureQueriesContext(connection) as one:
        response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "m0@example.fr" in response.content.decode()
    for n in range(1, 20):
        received(n)
    with CaptureQueriesContext(connection) as twenty:
        admin_client.get(reverse(CHANGELIST))
    assert len(twenty) == len(one)
    response = admin_client.get(reverse("admin:mail_mailbox_changelist"))
    assert "imap.example.fr" in response.content.decode()


def test_an_agent_cannot_open_inbound_emails_nor_download_them(client, agent):
    inbound = received()
    client.force_login(agent)
    assert client.get(reverse(CHANGELIST)).status_code == 302
    assert client.get(reverse("admin:mail_inboundemail_raw", args=[inbound.pk])).status_code == 302


def test_inbound_emails_are_read_only(admin_client):
    inbound = received()
    change_url = reverse("admin:mail_inboundemail_change", args=[inbound.pk])
    assert admin_client.get(reverse("admin:mail_inboundemail_add")).status_code == 403
    assert admin_client.post(change_url, {"status": "processed"}).status_code == 403
    assert f"inbound-email-{inbound.pk}.eml" in admin_client.get(change_url).content.decode()


def test_the_raw_email_downloads_byte_for_byte(admin_client):
    inbound = received()
    response = admin_client.get(reverse("admin:mail_inboundemail_raw", args=[inbound.pk]))
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content == make_email(message_id="<m1@example.fr>")


def test_reprocess_processes_a_received_email(admin_client):
    inbound = received()
    assert (
        reprocess(admin_client, inbound)
        == "1 processed, 0 still failing, 0 skipped (already processed)"
    )
    assert inbound.status == InboundEmail.Status.PROCESSED
    assert inbound.message.conversation.subject == "Ma commande n'est pas arrivée"


def test_reprocess_moves_a_failed_email_out_of_its_flagged_conversation(
    admin_client, failed_with_placeholder
):
    inbound = failed_with_placeholder
    [placeholder] = Conversation.objects.filter(needs_attention=True)

    assert (
        reprocess(admin_client, inbound)
        == "1 processed, 0 still failing, 0 skipped (already processed)"
    )

    assert inbound.status == InboundEmail.Status.PROCESSED
    assert inbound.message.conversation != placeholder
    assert inbound.message.from_address == "jeanne.martin@example.fr"
    # The flagged conversation stays, for the record, with a note saying where the email went.
    assert placeholder.messages.filter(raw_email=None, direction="inbound").count() == 1
    note = placeholder.messages.get(direction=Message.Direction.INTERNAL)
    assert inbound.message.conversation.reference in note.text


def test_reprocess_that_fails_again_changes_nothing_but_the_error(
    admin_client, failed_with_placeholder, monkeypatch
):
    inbound = failed_with_placeholder
    conversations_before = Conversation.objects.count()

    def parse_email_still_broken(raw: bytes) -> None:
        raise RuntimeError("still broken")

    monkeypatch.setattr(inbound_module, "parse_email", parse_email_still_broken)

    assert (
        reprocess(admin_client, inbound)
        == "0 processed, 1 still failing, 0 skipped (already processed)"
    )
    assert inbound.status == InboundEmail.Status.FAILED
    assert inbound.error == "RuntimeError: still broken"
    assert inbound.attempts == 2
    assert Conversation.objects.count() == conversations_before
    assert inbound.message.conversation.needs_attention


def test_reprocess_survives_an_email_that_cannot_even_be_kept_flagged(
    admin_client, failed_with_placeholder, monkeypatch
):
    inbound = failed_with_placeholder
    received_one = received(2)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("still broken")

    monkeypatch.setattr(inbound_module, "parse_email", broken)
    monkeypatch.setattr(inbound_module, "store_unreadable_email", broken)
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "reprocess", "_selected_action": [inbound.pk, received_one.pk]},
        follow=True,
    )

    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"]]
    assert message == "0 processed, 2 still failing, 0 skipped (already processed)"
    inbound.refresh_from_db()
    received_one.refresh_from_db()
    assert (inbound.status, inbound.error) == ("failed", "RuntimeError: still broken")
    assert inbound.message.conversation.needs_attention
    assert received_one.status == InboundEmail.Status.RECEIVED  # left for the sweep


def test_reprocess_leaves_a_processed_email_alone(admin_client):
    inbound = received()
    inbound_module.process_inbound_email(inbound.pk)
    assert (
        reprocess(admin_client, inbound)
        == "0 processed, 0 still failing, 1 skipped (already processed)"
    )
    assert Message.objects.filter(raw_email=inbound).count() == 1
