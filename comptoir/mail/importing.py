"""The file importer, third way in: `.eml` files, Maildirs and mbox files into `inbound.py`.

Finding and reading the emails (`iter_raw_messages`) is kept apart from storing them
(`import_emails`, by batches of BATCH_SIZE in one transaction each).
A file that cannot be read is reported and skipped; the import goes on with the others.
"""

import itertools
import logging
import mailbox
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import NoReturn

from django.conf import settings
from django.db import InterfaceError, OperationalError

from comptoir.mail.inbound import ingest_batch, ingest_raw_email

logger = logging.getLogger(__name__)

IMPORT_SOURCE = "import"
# Emails stored per transaction: a few queries per batch instead of a dozen per email.
BATCH_SIZE = 200

# A header field name is printable ASCII without a colon (RFC 5322 §3.6.8). A file that does
# not begin with one is not an email at all (a note, a PDF, an Outlook .msg), and storing it
# would only open a meaningless flagged conversation.
HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")
# Writers of mbox files turn a body line "From …" into ">From …", or it would read as the start
# of the next message; mailbox.mbox does not undo it. We undo it the mboxrd way (one ">" less
# before "From "): right for mboxrd files, and for mboxo files (Thunderbird, Python) it only
# mangles a body line that really began with ">From ", which is rarer than one with "From ".
MBOX_ESCAPED_FROM_LINE = re.compile(rb"^>(>*From )", re.MULTILINE)

OnUnreadable = Callable[[str, str], None]
ReadRaw = Callable[[], bytes]


class UnreadableMessage(Exception):
    """A file or message that cannot be imported, for a reason worth telling the user."""


@dataclass(frozen=True)
class UnreadableFile:
    path: str
    error: str


@dataclass
class ImportReport:
    imported: int = 0
    already_known: int = 0
    unreadable: list[UnreadableFile] = field(default_factory=list)

    def add_unreadable(self, path: str, error: str) -> None:
        self.unreadable.append(UnreadableFile(path=path, error=error))

    def count(self, *, created: bool) -> None:
        if created:
            self.imported += 1
        else:
            self.already_known += 1

    def summary(self) -> str:
        return (
            f"imported {self.imported}, already known {self.already_known}, "
            f"unreadable {len(self.unreadable)}"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "imported": self.imported,
            "already_known": self.already_known,
            "unreadable": [asdict(file) for file in self.unreadable],
        }


def import_emails(*, paths: Iterable[Path], batch_size: int = BATCH_SIZE) -> ImportReport:
    """Store and process every email found under the paths; safe to run twice on the same files."""
    report = ImportReport()
    for path in paths:
        emails = iter_raw_messages(path, on_unreadable=report.add_unreadable)
        while batch := list(itertools.islice(emails, batch_size)):
            ingest_in_one_batch(batch, report) or ingest_one_by_one(batch, report)
    return report


def ingest_in_one_batch(batch: list[tuple[str, bytes]], report: ImportReport) -> bool:
    """Store the batch in one transaction; False if it failed and stored nothing."""
    try:
        # Imported mail is history: its senders are not sent an acknowledgement.
        created = ingest_batch([raw for _, raw in batch], source=IMPORT_SOURCE, acknowledge=False)
    except (OperationalError, InterfaceError):
        raise  # The database itself is failing: every next email would fail the same way.
    except Exception:
        # Another import creating the same customer at once, or one email the batch path
        # cannot store: the emails are redone one by one, where a failure stays apart.
        logger.warning("a batch of %s emails failed; storing them one by one", len(batch), exc_info=True)
        return False
    for was_created in created:
        report.count(created=was_created)
    return True


def ingest_one_by_one(batch: list[tuple[str, bytes]], report: ImportReport) -> None:
    for label, raw in batch:
        ingest_one(label, raw, report)


def ingest_one(label: str, raw: bytes, report: ImportReport) -> None:
    try:
        # One commit per email: when this returns, the email is stored and may be counted.
        received, _message = ingest_raw_email(raw, source=IMPORT_SOURCE, acknowledge=False)
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        # inbound keeps an email it cannot understand, flagged for an agent; should even that
        # fail, its transaction stored nothing. Report it rather than stop a long import here.
        logger.exception("%s could not be stored", label)
        report.add_unreadable(label, f"could not be stored: {type(error).__name__}: {error}")
        return
    report.count(created=received.created)


def iter_raw_messages(path: Path, *, on_unreadable: OnUnreadable) -> Iterator[tuple[str, bytes]]:
    """Yield (label, raw bytes) for each email under path, one at a time.

    An email or file that cannot be read is passed to `on_unreadable(label, reason)` instead.
    """
    for label, read_raw in iter_message_readers(path):
        try:
            raw = read_raw()
            check_is_email(raw)
        except (OSError, UnreadableMessage) as error:
            on_unreadable(label, describe(error))
            continue
        yield label, raw


def iter_message_readers(path: Path) -> Iterator[tuple[str, ReadRaw]]:
    # Readers are called one by one by iter_raw_messages, so that an mbox is read one message
    # at a time and every read error is reported in one place.
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            if is_maildir(path):
                yield from iter_maildir(path)
            else:
                yield from iter_directory(path)
        elif not stat.S_ISREG(mode):
            # Reading a named pipe or a device would block or never end.
            raise UnreadableMessage("not a regular file")
        elif starts_like_mbox(path):
            yield from iter_mbox(path)
        else:
            yield str(path), partial(read_email_file, path)
    except (OSError, UnreadableMessage) as error:
        yield str(path), partial(raise_error, error)


def is_maildir(path: Path) -> bool:
    # tmp/ is not required: it only holds deliveries in progress and is often left out of copies.
    return (path / "cur").is_dir() and (path / "new").is_dir()


def iter_directory(directory: Path) -> Iterator[tuple[str, ReadRaw]]:
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith("."):
            continue  # .DS_Store, editor files, Maildir++ folders such as .Sent of our own replies
        if entry.is_symlink() and entry.is_dir():
            continue  # Not followed, as os.walk does not: a link to a parent would never end.
        yield from iter_message_readers(entry)


def iter_maildir(path: Path) -> Iterator[tuple[str, ReadRaw]]:
    maildir = mailbox.Maildir(path, factory=None, create=False)
    # Maildir file names begin with the delivery time: in that order an original is stored
    # before the reply to it, so the reply threads into its conversation. Names beginning with
    # a dot must be ignored (Maildir specification); mailbox.Maildir does not skip them.
    for key in sorted(key for key in maildir.iterkeys() if not key.startswith(".")):
        yield f"{path} ({key})", partial(read_maildir_message, maildir, key)


def read_maildir_message(maildir: mailbox.Maildir, key: str) -> bytes:
    try:
        return maildir.get_bytes(key)
    except KeyError:
        raise UnreadableMessage("removed from the Maildir while importing") from None


def starts_like_mbox(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(5) == b"From "


def iter_mbox(path: Path) -> Iterator[tuple[str, ReadRaw]]:
    # mailbox.mbox first scans the file for the offsets of its messages (a small table), then
    # reads one message at a time: a big archive is never held in memory whole.
    mbox = mailbox.mbox(path, factory=None, create=False)
    try:
        for number, key in enumerate(mbox.iterkeys(), start=1):
            yield f"{path} (message {number})", partial(read_mbox_message, mbox, key)
    finally:
        mbox.close()  # Writes nothing: we never change the mbox.


def read_mbox_message(mbox: mailbox.mbox, key: str) -> bytes:
    return MBOX_ESCAPED_FROM_LINE.sub(rb"\1", mbox.get_bytes(key))


def read_email_file(path: Path) -> bytes:
    # Check the size before reading, so a stray video in a folder of emails is not loaded whole.
    if path.stat().st_size > settings.COMPTOIR_MAIL_MAX_SIZE:
        raise_too_large()
    return path.read_bytes()


def check_is_email(raw: bytes) -> None:
    content = raw.lstrip()
    if not content:
        raise UnreadableMessage("empty, not an email")
    # The same limit as the SMTP listener's, so that no way in accepts what another refuses.
    if len(raw) > settings.COMPTOIR_MAIL_MAX_SIZE:
        raise_too_large()
    if not HEADER_LINE.match(content):
        raise UnreadableMessage("not an email: it does not begin with a header")


def raise_too_large() -> NoReturn:
    raise UnreadableMessage(
        f"larger than COMPTOIR_MAIL_MAX_SIZE ({settings.COMPTOIR_MAIL_MAX_SIZE} bytes)"
    )


def raise_error(error: Exception) -> NoReturn:
    raise error


def describe(error: Exception) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error)
