"""IMAP polling of the mailboxes configured in the database (`Mailbox`).

Nothing lost: a message is flagged \\Seen (or moved to the processed folder) only after
`ingest_raw_email()` has committed it with its conversation. If storing fails, the message
stays unseen on the server and the next poll takes it again. A crash between the commit and
the flag is harmless too: the next poll fetches the message again, `ingest_raw_email()`
recognises the duplicate, and the message is flagged then. For the same reason two workers
polling one mailbox at once cost a duplicate fetch, never a duplicate conversation.
"""

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone
from imapclient import SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from comptoir.mail.inbound import ingest_raw_email
from comptoir.mail.models import Mailbox

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
# Messages are fetched a few at a time so that a mailbox holding thousands of them neither
# fills memory nor costs one round trip per message.
FETCH_BATCH_SIZE = 20


class MailboxNotConfigured(Exception):
    """The mailbox cannot be polled until an operator fixes its configuration."""


class IngestFailed(Exception):
    """A fetched message could not be stored: stop, and leave it unseen for the next poll."""


def poll_all_mailboxes() -> int:
    """Poll every active mailbox once; return how many messages were newly ingested."""
    mailboxes = Mailbox.objects.filter(is_active=True).order_by("name")
    return sum(poll_mailbox(mailbox) for mailbox in mailboxes)


def poll_mailbox(mailbox: Mailbox) -> int:
    """Ingest the unseen messages of one mailbox; return how many were new.

    A failure (server, login, a message that cannot be stored) does not raise: its reason
    is kept in `mailbox.last_error`, cleared by the next successful poll, so the other
    mailboxes are still polled and an operator sees what is wrong.
    """
    ingested, error = 0, ""
    try:
        with open_mailbox(mailbox) as client:
            for created in ingest_unseen_messages(client, mailbox):
                ingested += created
    except (MailboxNotConfigured, IMAPClientError, OSError) as failure:
        error = describe_failure(mailbox, failure)
        logger.warning("mailbox %s: %s", mailbox.name, error)
    except IngestFailed as failure:
        logger.exception("mailbox %s: polling stopped", mailbox.name)
        error = str(failure)
    except Exception as failure:  # a bug or an unforeseen answer: the others still go on
        logger.exception("mailbox %s: polling failed", mailbox.name)
        error = f"unexpected error: {type(failure).__name__}: {failure}"
    record_poll(mailbox, error=error)
    return ingested


@contextmanager
def open_mailbox(mailbox: Mailbox) -> Iterator[IMAPClient]:
    password = os.environ.get(mailbox.password_env)
    if password is None:
        raise MailboxNotConfigured(f"environment variable {mailbox.password_env} is not set")
    client = IMAPClient(
        mailbox.host, port=mailbox.port, ssl=mailbox.use_ssl, timeout=TIMEOUT_SECONDS
    )
    with client:  # logs out, or at least closes the socket, whatever happens inside
        client.login(mailbox.username, password)
        client.select_folder(mailbox.folder)
        # A missing processed folder would make every move fail after the message is
        # stored, so the same messages would be fetched again at every poll.
        if mailbox.processed_folder and not client.folder_exists(mailbox.processed_folder):
            client.create_folder(mailbox.processed_folder)
        yield client


def ingest_unseen_messages(client: IMAPClient, mailbox: Mailbox) -> Iterator[bool]:
    """Store each unseen message, then flag or move it; yield whether each was new."""
    uids = client.search(["UNSEEN", "UNDELETED"])
    for start in range(0, len(uids), FETCH_BATCH_SIZE):
        batch = uids[start : start + FETCH_BATCH_SIZE]
        # BODY.PEEK[] leaves \Seen alone: a message fetched but not stored stays unseen.
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        for uid in batch:
            raw = fetched.get(uid, {}).get(b"BODY[]")
            if raw is None:
                continue  # expunged by another client since the search
            created = ingest(raw, mailbox=mailbox, uid=uid)
            # One message at a time, right after its commit: a crash can then leave at
            # most one stored message unflagged, and the next poll deduplicates it.
            mark_processed(client, mailbox, uid)
            yield created


def ingest(raw: bytes, *, mailbox: Mailbox, uid: int) -> bool:
    try:
        received, _message = ingest_raw_email(raw, source=f"imap:{mailbox.name}")
    except Exception as error:
        raise IngestFailed(
            f"message UID {uid} in {mailbox.folder} could not be stored "
            f"({type(error).__name__}: {error}); it stays unseen and is retried at the next poll"
        ) from error
    # A duplicate (created=False) is already stored: it is flagged all the same.
    return received.created


def mark_processed(client: IMAPClient, mailbox: Mailbox, uid: int) -> None:
    if not mailbox.processed_folder:
        client.add_flags([uid], [SEEN])
    elif client.has_capability("MOVE"):
        client.move([uid], mailbox.processed_folder)
    else:
        # Without MOVE (RFC 6851), the same in three steps. Expunging by UID (UIDPLUS)
        # removes only this message; a plain EXPUNGE also removes what others deleted.
        client.copy([uid], mailbox.processed_folder)
        client.delete_messages([uid])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()


def describe_failure(mailbox: Mailbox, failure: Exception) -> str:
    # imaplib gives the server's answer as bytes; an operator wants to read it.
    detail = failure.args[0] if failure.args else failure
    if isinstance(detail, bytes):
        detail = detail.decode(errors="replace")
    if isinstance(failure, MailboxNotConfigured):
        return str(failure)
    if isinstance(failure, LoginError):
        return f"login refused for {mailbox.username}: {detail}"
    if isinstance(failure, OSError):
        return f"connection to {mailbox.host}:{mailbox.port} failed: {failure}"
    return f"IMAP error: {detail}"


def record_poll(mailbox: Mailbox, *, error: str) -> None:
    mailbox.last_polled_at = timezone.now()
    mailbox.last_error = error
    # Only these two fields: an operator may be editing the mailbox in the admin meanwhile.
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=mailbox.last_polled_at, last_error=error
    )
