"""IMAP polling against a real Dovecot: a message is flagged or moved only once stored."""

import pytest
from django.core.management import CommandError, call_command
from imapclient import SEEN

from comptoir.conversations.models import Conversation
from comptoir.mail import imap_polling
from comptoir.mail.inbound import ingest_raw_email
from comptoir.mail.models import InboundEmail, Mailbox
from tests.conftest import make_email
from tests.dovecot import Dovecot, dovecot_server, running_dovecot  # noqa: F401 (fixture)
from tests.smtp_sink import free_port

# Polling commits each message before flagging it: the tests must see real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def make_mailbox(
    server: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
    *,
    name: str = "support",
    password: str = "",
    **fields: object,
) -> Mailbox:
    password_env = f"TEST_IMAP_PASSWORD_{name.upper()}"
    monkeypatch.setenv(password_env, password or server.password)
    return Mailbox.objects.create(
        name=name,
        host=server.host,
        port=server.port,
        use_ssl=False,
        username=server.username,
        password_env=password_env,
        **fields,
    )


def two_customer_emails() -> list[bytes]:
    return [
        make_email(message_id="<first@example.fr>"),
        make_email(
            sender="Paul Durand <paul.durand@example.fr>",
            subject="Remboursement",
            message_id="<second@example.fr>",
        ),
    ]


@pytest.mark.slow
def test_unseen_messages_become_conversations_and_are_flagged_seen(dovecot, monkeypatch):
    for raw in two_customer_emails():
        dovecot.append(raw)
    mailbox = make_mailbox(dovecot, monkeypatch)

    assert imap_polling.poll_all_mailboxes() == 2

    assert Conversation.objects.count() == 2
    assert set(InboundEmail.objects.values_list("source", flat=True)) == {"imap:support"}
    assert dovecot.seen() == [True, True]
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None
    assert mailbox.last_error == ""


@pytest.mark.slow
def test_messages_are_moved_to_the_processed_folder(dovecot, monkeypatch):
    for raw in two_customer_emails():
        dovecot.append(raw)
    make_mailbox(dovecot, monkeypatch, processed_folder="Traités")

    assert imap_polling.poll_all_mailboxes() == 2

    assert dovecot.search("ALL") == []
    assert len(dovecot.search("ALL", folder="Traités")) == 2
    assert Conversation.objects.count() == 2


@pytest.mark.slow
@pytest.mark.parametrize("capabilities", ["IMAP4rev1 UIDPLUS", "IMAP4rev1"])
def test_without_move_messages_are_copied_then_expunged(tmp_path, monkeypatch, capabilities):
    # Older servers lack MOVE (RFC 6851), some also UIDPLUS: the fallback must still empty
    # the folder without leaving copies behind.
    extra_config = f"imap_capability = {capabilities}"
    with running_dovecot(tmp_path / "dovecot", extra_config=extra_config) as server:
        for raw in two_customer_emails():
            server.append(raw)
        make_mailbox(server, monkeypatch, processed_folder="Done")

        assert imap_polling.poll_all_mailboxes() == 2

        assert server.search("ALL") == []
        assert len(server.search("ALL", folder="Done")) == 2


@pytest.mark.slow
def test_polling_twice_creates_nothing_new(dovecot, monkeypatch):
    for raw in two_customer_emails():
        dovecot.append(raw)
    make_mailbox(dovecot, monkeypatch)
    imap_polling.poll_all_mailboxes()

    assert imap_polling.poll_all_mailboxes() == 0

    assert Conversation.objects.count() == 2
    assert InboundEmail.objects.count() == 2


@pytest.mark.slow
def test_message_already_stored_is_not_stored_again_but_is_flagged(dovecot, monkeypatch):
    # The same email may arrive by SMTP and by IMAP, or be stored just before a crash that
    # prevented the flag: it is flagged now, without a second conversation.
    raw = make_email()
    ingest_raw_email(raw, source="smtp")
    dovecot.append(raw)
    make_mailbox(dovecot, monkeypatch)

    assert imap_polling.poll_all_mailboxes() == 0

    assert Conversation.objects.count() == 1
    assert dovecot.seen() == [True]


@pytest.mark.slow
def test_message_already_seen_is_not_taken(dovecot, monkeypatch):
    dovecot.append(make_email(message_id="<read-by-a-human@example.fr>"), flags=[SEEN])
    dovecot.append(make_email(message_id="<unread@example.fr>"))
    make_mailbox(dovecot, monkeypatch)

    assert imap_polling.poll_all_mailboxes() == 1

    assert list(InboundEmail.objects.values_list("message_id", flat=True)) == ["unread@example.fr"]


@pytest.mark.slow
def test_wrong_password_is_recorded_and_other_mailboxes_are_still_polled(dovecot, monkeypatch):
    dovecot.append(make_email())
    # Mailboxes are polled by name: the failing one comes first. (Dovecot then makes the
    # next login from this address wait a few seconds: its penalty for failed logins.)
    failing = make_mailbox(dovecot, monkeypatch, name="a-failing", password="wrong-password")
    working = make_mailbox(dovecot, monkeypatch, name="b-working")

    assert imap_polling.poll_all_mailboxes() == 1

    failing.refresh_from_db()
    assert failing.last_error.startswith("login refused for support: ")
    assert "Authentication failed" in failing.last_error
    assert failing.last_polled_at is not None
    working.refresh_from_db()
    assert working.last_error == ""
    assert Conversation.objects.count() == 1


@pytest.mark.slow
def test_message_that_could_not_be_stored_stays_unseen_and_is_taken_next_time(dovecot, monkeypatch):
    for raw in two_customer_emails():
        dovecot.append(raw)
    mailbox = make_mailbox(dovecot, monkeypatch)
    calls = []

    def database_down_at_second_message(raw: bytes, *, source: str):
        calls.append(raw)
        if len(calls) == 2:
            raise ConnectionError("database is down")
        return ingest_raw_email(raw, source=source)

    monkeypatch.setattr(imap_polling, "ingest_raw_email", database_down_at_second_message)

    assert imap_polling.poll_mailbox(mailbox) == 1

    assert dovecot.seen() == [True, False]
    assert Conversation.objects.count() == 1
    mailbox.refresh_from_db()
    assert "could not be stored (ConnectionError: database is down)" in mailbox.last_error

    monkeypatch.setattr(imap_polling, "ingest_raw_email", ingest_raw_email)
    assert imap_polling.poll_mailbox(mailbox) == 1

    assert dovecot.seen() == [True, True]
    assert Conversation.objects.count() == 2
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_unreachable_server_is_recorded_without_raising(monkeypatch):
    monkeypatch.setenv("TEST_IMAP_PASSWORD", "secret")
    mailbox = Mailbox.objects.create(
        name="support",
        host="127.0.0.1",
        port=free_port(),
        use_ssl=False,
        username="support",
        password_env="TEST_IMAP_PASSWORD",
    )

    assert imap_polling.poll_all_mailboxes() == 0

    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith(f"connection to 127.0.0.1:{mailbox.port} failed: ")


def test_missing_password_variable_is_recorded(monkeypatch):
    monkeypatch.delenv("TEST_IMAP_PASSWORD_UNSET", raising=False)
    mailbox = Mailbox.objects.create(
        name="support",
        host="127.0.0.1",
        username="support",
        password_env="TEST_IMAP_PASSWORD_UNSET",
    )

    imap_polling.poll_mailbox(mailbox)

    mailbox.refresh_from_db()
    assert mailbox.last_error == "environment variable TEST_IMAP_PASSWORD_UNSET is not set"


@pytest.mark.slow
def test_poll_mail_command_prints_a_summary_of_the_active_mailboxes(dovecot, monkeypatch, capsys):
    dovecot.append(make_email())
    make_mailbox(dovecot, monkeypatch, name="support")
    make_mailbox(dovecot, monkeypatch, name="sales", is_active=False)

    call_command("poll_mail")

    assert capsys.readouterr().out.splitlines() == [
        "support: 1 new message(s)",
        "1 new message(s) from 1 mailbox(es).",
    ]


@pytest.mark.slow
def test_poll_mail_command_fails_when_the_named_mailbox_fails(dovecot, monkeypatch, capsys):
    make_mailbox(dovecot, monkeypatch, name="sales", password="wrong-password", is_active=False)

    with pytest.raises(CommandError, match="polling failed for: sales"):
        call_command("poll_mail", "--mailbox", "sales")

    assert "sales: failed: login refused for support" in capsys.readouterr().out


def test_poll_mail_command_rejects_an_unknown_mailbox():
    with pytest.raises(CommandError, match="no IMAP mailbox named 'nowhere'"):
        call_command("poll_mail", "--mailbox", "nowhere")
