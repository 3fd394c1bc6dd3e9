"""`comptoir import-mail`: .eml files, Maildirs, mbox files and folders into conversations."""

import json
import mailbox
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from comptoir.conversations.models import Conversation, Message
from comptoir.mail import importing
from comptoir.mail.importing import iter_raw_messages
from comptoir.mail.models import InboundEmail
from tests.conftest import make_email

HANDWRITTEN = Path(__file__).resolve().parents[1] / "fixtures" / "emails" / "handwritten"


def run_import(*paths: Path, options: tuple[str, ...] = ()) -> tuple[str, str, int]:
    """Run the command as the console script would; return stdout, stderr and exit status."""
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command("import_mail", *map(str, paths), *options, stdout=stdout, stderr=stderr)
        status = 0
    except CommandError as error:
        status = error.returncode
    return stdout.getvalue(), stderr.getvalue(), status


def inbound_messages() -> list[Message]:
    return list(Message.objects.filter(direction=Message.Direction.INBOUND))


def numbered_email(n: int, **fields: str) -> bytes:
    return make_email(
        sender=f"Client {n} <client{n}@example.fr>", message_id=f"<m{n}@example.fr>", **fields
    )


@pytest.mark.django_db
def test_an_eml_file_becomes_one_conversation(tmp_path):
    path = tmp_path / "commande.eml"
    path.write_bytes(make_email())

    stdout, stderr, status = run_import(path)

    assert (stdout.strip(), stderr, status) == ("imported 1, already known 0, unreadable 0", "", 0)
    [message] = inbound_messages()
    assert message.conversation.subject == "Ma commande n'est pas arrivée"
    assert message.raw_email.source == "import"
    assert Conversation.objects.count() == 1


@pytest.mark.django_db
def test_a_maildir_is_imported_from_new_and_cur_but_not_tmp(tmp_path):
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for n in range(3):
        maildir.add(numbered_email(n))
    # A delivery in progress, which the Maildir rules say no reader may take.
    (tmp_path / "Maildir" / "tmp" / "1700000000.M1P1.host").write_bytes(numbered_email(9))

    stdout, _stderr, status = run_import(tmp_path / "Maildir")

    assert (stdout.strip(), status) == ("imported 3, already known 0, unreadable 0", 0)
    assert sorted(m.from_address for m in inbound_messages()) == [
        "client0@example.fr",
        "client1@example.fr",
        "client2@example.fr",
    ]


@pytest.mark.django_db
def test_an_mbox_is_imported_with_a_body_line_beginning_with_from_intact(tmp_path):
    mbox = mailbox.mbox(tmp_path / "archive.mbox", create=True)
    mbox.add(numbered_email(1))
    mbox.add(numbered_email(2, body="Bonjour,\nFrom Paris with love,\nJeanne"))
    mbox.add(numbered_email(3))
    mbox.close()
    # The writer escaped the line, or it would have started a fourth message.
    assert b"\n>From Paris" in (tmp_path / "archive.mbox").read_bytes()

    stdout, _stderr, status = run_import(tmp_path / "archive.mbox")

    assert (stdout.strip(), status) == ("imported 3, already known 0, unreadable 0", 0)
    message = Message.objects.get(from_address="client2@example.fr")
    assert "From Paris with love," in message.text.splitlines()
    assert b"\r\nFrom Paris with love," in bytes(message.raw_email.raw)


@pytest.mark.django_db
def test_a_folder_reports_unreadable_files_and_imports_the_others(tmp_path):
    (tmp_path / "a.eml").write_bytes(numbered_email(1))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.eml").write_bytes(numbered_email(2))
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("Penser à rappeler Mme Martin.\n")
    (tmp_path / "gone.eml").symlink_to(tmp_path / "nowhere.eml")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")

    stdout, stderr, status = run_import(tmp_path)

    assert stdout.strip() == "imported 2, already known 0, unreadable 3"
    assert status == 1
    assert stderr.splitlines() == [
        f"unreadable: {tmp_path / 'empty.eml'}: empty, not an email",
        f"unreadable: {tmp_path / 'gone.eml'}: No such file or directory",
        f"unreadable: {tmp_path / 'notes.txt'}: not an email: it does not begin with a header",
    ]
    assert len(inbound_messages()) == 2


@pytest.mark.django_db
def test_a_maildir_inside_a_folder_is_read_as_a_maildir(tmp_path):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "loose.eml").write_bytes(numbered_email(1))
    maildir = mailbox.Maildir(tmp_path / "export" / "Maildir", create=True)
    maildir.add(numbered_email(2))

    stdout, _stderr, status = run_import(tmp_path / "export")

    assert (stdout.strip(), status) == ("imported 2, already known 0, unreadable 0", 0)


@pytest.mark.django_db
def test_a_badly_formed_email_is_imported_and_flagged_not_reported_unreadable(tmp_path):
    (tmp_path / "broken.eml").write_bytes(
        b"From: Paul <paul@example.fr>\r\nSubject: =?x-unknown?Q?cass=E9?=\r\n"
        b"Message-ID: <broken@example.fr>\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"--nowhere\r\nContent-Type: text/plain; charset=x-inexistant\r\n\r\nBonjour \xe9t\xe9\r\n"
    )

    stdout, _stderr, status = run_import(tmp_path / "broken.eml")

    assert (stdout.strip(), status) == ("imported 1, already known 0, unreadable 0", 0)
    assert Message.objects.get(message_id="broken@example.fr").conversation.needs_attention


@pytest.mark.django_db
def test_imported_mail_is_history_and_gets_no_acknowledgement(tmp_path, mailoutbox):
    (tmp_path / "a.eml").write_bytes(make_email())

    run_import(tmp_path)

    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_an_email_that_cannot_be_stored_is_reported_and_the_import_goes_on(tmp_path, monkeypatch):
    for n in range(3):
        (tmp_path / f"{n}.eml").write_bytes(numbered_email(n))
    ingest_raw_email, ingest_batch = importing.ingest_raw_email, importing.ingest_batch

    def ingest_failing_on_the_first(raw: bytes, **options: object):
        if b"<m0@example.fr>" in raw:
            raise ValueError("a bug in the inbound path")
        return ingest_raw_email(raw, **options)

    def batch_failing_with_the_first(raws: list[bytes], **options: object):
        if any(b"<m0@example.fr>" in raw for raw in raws):
            raise ValueError("a bug in the inbound path")
        return ingest_batch(raws, **options)

    # The batch holding the bad email fails whole; redone one by one, only that one fails.
    monkeypatch.setattr(importing, "ingest_batch", batch_failing_with_the_first)
    monkeypatch.setattr(importing, "ingest_raw_email", ingest_failing_on_the_first)

    stdout, stderr, status = run_import(tmp_path)

    assert (stdout.strip(), status) == ("imported 2, already known 0, unreadable 1", 1)
    assert stderr.strip() == (
        f"unreadable: {tmp_path / '0.eml'}: could not be stored: ValueError: a bug in the inbound path"
    )


@pytest.mark.django_db
def test_importing_twice_creates_nothing_new(tmp_path):
    mbox = mailbox.mbox(tmp_path / "archive.mbox", create=True)
    for n in range(3):
        mbox.add(numbered_email(n))
    mbox.close()
    (tmp_path / "no-message-id.eml").write_bytes(make_email(message_id=None))
    run_import(tmp_path)
    counts = (InboundEmail.objects.count(), Conversation.objects.count(), Message.objects.count())

    stdout, _stderr, status = run_import(tmp_path)

    assert (stdout.strip(), status) == ("imported 0, already known 4, unreadable 0", 0)
    assert counts == (
        InboundEmail.objects.count(),
        Conversation.objects.count(),
        Message.objects.count(),
    )
    assert counts[0] == 4


@pytest.mark.django_db
def test_json_summary_lists_unreadable_files(tmp_path):
    (tmp_path / "a.eml").write_bytes(make_email())
    (tmp_path / "b.eml").write_bytes(b"")

    stdout, _stderr, status = run_import(tmp_path, options=("--json",))

    assert status == 1
    assert json.loads(stdout) == {
        "imported": 1,
        "already_known": 0,
        "unreadable": [{"path": str(tmp_path / "b.eml"), "error": "empty, not an email"}],
    }


@pytest.mark.django_db
def test_french_emails_of_real_clients_are_imported_with_their_accents():
    stdout, _stderr, status = run_import(HANDWRITTEN)

    assert status == 0
    assert (
        stdout.strip()
        == f"imported {len(list(HANDWRITTEN.glob('*.eml')))}, already known 0, unreadable 0"
    )
    message = Message.objects.get(message_id="gmail_fr@client.example")
    assert message.conversation.customer.identities.get().value == "jeanne.martin@gmail.example"
    assert "Toujours rien reçu, pouvez-vous vérifier le suivi du colis ?" in message.reply_text


def test_raw_messages_are_read_in_name_order_and_unreadable_ones_reported(tmp_path):
    for name in ("2.eml", "10.eml", "1.eml"):
        (tmp_path / name).write_bytes(make_email(subject=name))
    (tmp_path / "3.eml").write_bytes(b"   \n")
    unreadable: list[tuple[str, str]] = []

    labels = [
        label
        for label, _raw in iter_raw_messages(
            tmp_path, on_unreadable=lambda *u: unreadable.append(u)
        )
    ]

    assert labels == [str(tmp_path / name) for name in ("1.eml", "10.eml", "2.eml")]
    assert unreadable == [(str(tmp_path / "3.eml"), "empty, not an email")]


def test_missing_path_exits_with_status_2_and_imports_nothing(tmp_path):
    comptoir = Path(sys.executable).parent / "comptoir"
    (tmp_path / "here.eml").write_bytes(make_email())
    environment = {
        **os.environ,
        # A database of its own, which the command must not even open.
        "COMPTOIR_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'comptoir.sqlite3'}",
        "COMPTOIR_SECRET_KEY": "test",
    }

    result = subprocess.run(
        [comptoir, "import-mail", str(tmp_path / "here.eml"), str(tmp_path / "absent.eml")],
        env=environment,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert f"no such file or directory: {tmp_path / 'absent.eml'}" in result.stderr
    assert not (tmp_path / "data" / "comptoir.sqlite3").exists()
