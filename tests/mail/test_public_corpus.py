"""Real-world emails from public projects (fixtures/emails/public/SOURCES.md) through the parser
and through the ingest path. Every file must parse without raising and be stored; the table
below holds what each one should give, read off the files by hand."""

import email
import email.policy
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from comptoir.conversations.models import Message
from comptoir.mail.inbound import ingest_batch, ingest_raw_email
from comptoir.mail.models import InboundEmail
from comptoir.mail.parsing import ParsedEmail, parse_email
from comptoir.messaging.bounces import BounceKind, classify_message

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "emails" / "public"
NOT_EMAILS = {"LICENSE", "SOURCES.md", ".gitattributes"}
EMAILS = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name not in NOT_EMAILS)


def name_of(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def parsed(name: str) -> ParsedEmail:
    return parse_email((CORPUS / name).read_bytes())


def test_the_corpus_is_all_there() -> None:
    assert len(EMAILS) == 28
    assert all(path.stat().st_size < 200_000 for path in EMAILS)


@pytest.mark.parametrize("path", EMAILS, ids=name_of)
def test_every_public_email_parses_into_a_parsed_email(path: Path) -> None:
    result = parse_email(path.read_bytes())
    assert isinstance(result, ParsedEmail)
    json.dumps(result.as_json())  # what `comptoir parse-mail --json` prints
    assert "<script" not in result.html.lower()


def attachments(email_: ParsedEmail) -> list[tuple[str, int]]:
    return [(attachment.filename, len(attachment.content)) for attachment in email_.attachments]


def field(name: str) -> Callable[[ParsedEmail], object]:
    return lambda email_: getattr(email_, name)


def contains(name: str, part: str) -> Callable[[ParsedEmail], object]:
    return lambda email_: part in getattr(email_, name)


def starts_with(name: str, part: str) -> Callable[[ParsedEmail], object]:
    return lambda email_: getattr(email_, name).startswith(part)


def lacks(name: str, part: str) -> Callable[[ParsedEmail], object]:
    return lambda email_: part not in getattr(email_, name)


def has_defect(defect: str) -> Callable[[ParsedEmail], object]:
    return lambda email_: defect in email_.defects


def inline_image(email_: ParsedEmail) -> tuple[str, str, bool]:
    (image,) = email_.attachments
    return image.content_type, image.content_id, image.is_inline


ZONE_MINUS_4 = timezone(timedelta(hours=-4))

# (file, what is checked, how to read it from the ParsedEmail, expected value). Kept one row
# per line or two: ruff format would spread every row over six lines and hide the table.
# fmt: off
EXPECTATIONS = [
    ("enmime/multipart-wo-boundary.raw", "a bounce without boundary is automatic",
     field("auto_submitted"), True),
    ("enmime/multipart-wo-boundary.raw", "no Date gives no date", field("date"), None),
    ("enmime/multipart-wo-boundary.raw", "the broken multipart is a defect",
     has_defect("NoBoundaryInMultipartDefect"), True),
    ("enmime/bad-final-boundary.raw", "text before the unclosed part", field("text"),
     "A text section"),
    ("enmime/bad-final-boundary.raw", "attachment of the unclosed part", attachments,
     [("foo_9E5D72.zip", 7)]),
    ("enmime/bad-final-boundary.raw", "the missing close is a defect",
     has_defect("CloseBoundaryNotFoundDefect"), True),
    ("enmime/unk-charset-part.raw", "unknown charset still gives the text", field("text"),
     "A text section"),
    ("enmime/unk-charset-part.raw", "unknown charset is a defect", has_defect("unknown-charset"),
     True),
    ("enmime/html-only-inline.raw", "HTML-only mail gets a text", field("text"),
     "Test of HTML section"),
    ("enmime/html-only-inline.raw", "inline image kept", attachments, [("favicon.png", 687)]),
    ("enmime/html-only-inline.raw", "inline image is marked inline with its Content-ID",
     inline_image, ("image/png", "8B8481A2-25CA-4886-9B5A-8EB9115DD064@skynet", True)),
    ("enmime/html-only-inline.raw", "cid: links survive sanitising",
     contains("html", 'src="cid:8B8481A2-25CA-4886-9B5A-8EB9115DD064@skynet"'), True),
    ("enmime/mime-bad-8bit-filename.raw", "subject", field("subject"), "Malformed test"),
    ("enmime/mime-bad-8bit-filename.raw", "To with a trailing comma", field("to"),
     ["test@dome.domain"]),
    ("enmime/mime-bad-8bit-filename.raw", "text next to an 8-bit filename",
     field("text"), "Text part"),
    ("enmime/mime-bad-8bit-filename.raw", "attachment with an 8-bit filename kept",
     lambda email_: len(email_.attachments), 1),
    ("enmime/mime-bad-8bit-filename.raw", "8-bit filename read as UTF-8",
     attachments, [("管理.doc", 7)]),
    ("enmime/qp-utf8-header.raw", "RFC 2047 UTF-8 subject", field("subject"),
     "MIME UTF8 Test ¢ More Text"),
    ("enmime/qp-utf8-header.raw", "first of two From addresses", field("from_address"),
     "jamehi03@jamehi03lx.noa.com"),
    ("enmime/qp-utf8-header.raw", "quoted encoded word in To", field("to"),
     ["marczak@inbucket.com"]),
    ("enmime/qp-utf8-header-no-break.raw", "subject with no blank line after the header",
     field("subject"), "MIME UTF8 Test ¢ More Text"),
    ("enmime/qp-utf8-header-no-break.raw", "missing blank line is a defect",
     has_defect("MissingHeaderBodySeparatorDefect"), True),
    ("enmime/qp-utf8-header-no-break.raw", "body still found", starts_with("text", "Lorem ipsum"),
     True),
    ("mikel-mail/japanese_iso_2022.eml", "Base64 UTF-8 subject", field("subject"), "まみむめも"),
    ("mikel-mail/japanese_iso_2022.eml", "ISO-2022-JP body", field("text"), "すみません。"),
    ("mikel-mail/japanese_iso_2022.eml", "no Message-ID", field("message_id"), ""),
    ("mikel-mail/ks_c_5601-1987.eml", "ks_c_5601-1987 body", field("text"), "스티해"),
    ("mikel-mail/report_530.eml", "bounce is automatic", field("auto_submitted"), True),
    ("mikel-mail/report_530.eml", "bounce sender", field("from_address"),
     "MAILER-DAEMON@tttttt.com.au"),
    ("mikel-mail/report_530.eml", "part without headers is the text",
     contains("text", "permanent fatal errors"), True),
    ("mikel-mail/raw_email_with_illegal_boundary.eml", "text under an unquoted boundary",
     field("text"), "Hello\nThis is an outlook test\n\nSo there.\n\nMe."),
    ("mikel-mail/raw_email_with_illegal_boundary.eml", "Reply-To", field("reply_to"),
     ["email_test@me.nowhere"]),
    ("mikel-mail/bad_encoded_subject.eml", "no From", field("from_address"), ""),
    ("mikel-mail/bad_encoded_subject.eml", "no From is a defect", has_defect("no-sender"), True),
    ("mikel-mail/bad_encoded_subject.eml", "encoded word in charset NONE", field("subject"),
     "TEST"),
    ("mikel-mail/bad_encoded_subject.eml", "no Date", field("date"), None),
    ("talon/apple_mail.eml", "Apple Mail reply without the quote", field("reply_text"), "Hello"),
    ("talon/apple_mail.eml", "a person is not automatic", field("auto_submitted"), False),
    ("talon/iphone.eml", "iPhone reply without footer nor quote", field("reply_text"), "Hello"),
    ("talon/outlook.eml", "Outlook reply without the From:/Sent: block", field("reply_text"),
     "Hello"),
    ("talon/outlook.eml", "no Date", field("date"), None),
    ("talon/outlook.eml", "no Message-ID", field("message_id"), ""),
    ("talon/thunderbird.eml", "bottom-posted reply", field("reply_text"), "Hello"),
    ("zammad/mail001.box", "RFC 2047 ISO-8859-1 subject", field("subject"),
     "CI Daten für PublicView"),
    ("zammad/mail001.box", "From without a name", field("from_address"),
     "John.Smith@example.com"),
    ("zammad/mail001.box", "ISO-8859-1 quoted-printable body",
     contains("text", "Schriftart/-größe: Verdana 11 Pt"), True),
    ("zammad/mail005.box", "name in a comment", field("from_name"), "Marc Smith"),
    ("zammad/mail005.box", "8-bit UTF-8 reply below the quote",
     starts_with("reply_text", "Hallo Martin,\n\nJohn und ich könnten"), True),
    ("zammad/mail005.box", "the quote is cut", lacks("reply_text", "Hallo Marc"), True),
    ("zammad/mail005.box", "In-Reply-To", field("in_reply_to"),
     "20120507061007.259.822311@portal.znuny.com"),
    ("zammad/mail007.box", "HTML-only Domino mail gets a text",
     starts_with("text", "Hallo.\nJetzt muss ich dir noch kurzfristig absagen für morgen."),
     True),
    ("zammad/mail007.box", "Domino quote cut from the reply",
     lacks("reply_text", "anbei wie gestern telefonisch"), True),
    ("zammad/mail033-undelivered-mail-returned-to-sender-notification.box", "bounce is automatic",
     field("auto_submitted"), True),
    ("zammad/mail033-undelivered-mail-returned-to-sender-notification.box",
     "returned message kept whole",
     lambda email_: [(a.filename, a.content_type) for a in email_.attachments],
     [("message.eml", "message/rfc822")]),
    ("odoo/MAIL_MULTIPART_MIXED.eml", "encoded word holding a bare space", field("from_name"),
     "Raoul Grosbedonée"),
    ("odoo/MAIL_MULTIPART_MIXED.eml", "text attachment", attachments, [("test.txt", 5)]),
    ("odoo/MAIL_MULTIPART_MIXED.eml", "signature cut from the reply", field("reply_text"),
     "Should create a multipart/mixed: from gmail, *bold*, with attachment."),
    ("odoo/MAIL_MULTIPART_MIXED_TWO.eml", "no Subject", field("subject"), ""),
    ("odoo/MAIL_MULTIPART_MIXED_TWO.eml", "PDF between two HTML parts", attachments,
     [("thetruth.pdf", 16)]),
    ("odoo/MAIL_MULTIPART_MIXED_TWO.eml", "both HTML parts kept",
     lambda email_: "First part" in email_.html and "Second part" in email_.html, True),
    ("odoo/MAIL_MULTIPART_WEIRD_FILENAME.eml", "RFC 2231 filename", attachments,
     [("62_@;,][)=.(ÇÀÉ.txt", 42)]),
    ("mimekit/disposition-notification.anonymized.eml", "read receipt is automatic",
     field("auto_submitted"), True),
    ("mimekit/disposition-notification.anonymized.eml", "date with a comment",
     field("date"), datetime(1995, 9, 20, 0, 19, tzinfo=ZONE_MINUS_4)),
    ("django-helpdesk/quoted_printable.eml", "Base64 UTF-8 subject", field("subject"),
     "Český test"),
    ("django-helpdesk/quoted_printable.eml", "QP UTF-8 body", field("text"),
     "Tohle je test českých písmen odeslaných z gmailu."),
    ("django-helpdesk/blank-body-with-attachment.eml", "empty body", field("text"), ""),
    ("django-helpdesk/blank-body-with-attachment.eml", "the only content is an attachment",
     attachments, [("baf", 24)]),
    ("tnefparse/two-files-winmail.eml", "files taken out of winmail.dat", attachments,
     [("AUTHORS", 244), ("README", 893)]),
    ("tnefparse/umlaut-winmail.eml", "umlaut filename out of winmail.dat", attachments,
     [("TBZ PARIV GmbH.jpg", 44764), ("image003.jpg", 1001), ("UmlautAnhang-äüö.txt", 14)]),
]
# fmt: on


def expectation_id(row: object) -> str:
    name, what, *_ = getattr(row, "values", row)  # a pytest.param keeps its row in .values
    return f"{name}: {what}"


@pytest.mark.parametrize(
    "name, what, read, expected", EXPECTATIONS, ids=[expectation_id(r) for r in EXPECTATIONS]
)
def test_public_email_gives_what_the_file_holds(
    name: str, what: str, read: Callable[[ParsedEmail], object], expected: object
) -> None:
    assert read(parsed(name)) == expected


def dedupe_key(raw: bytes) -> str:
    """Read the Message-ID with the standard library, apart from the code under test."""
    message_id = email.message_from_bytes(raw, policy=email.policy.compat32).get("Message-ID")
    return f"mid:{str(message_id).strip()}" if message_id else hashlib.sha256(raw).hexdigest()


def raw_emails() -> list[bytes]:
    return [path.read_bytes() for path in EMAILS]


def assert_every_email_stored_once_and_flagged_when_partly_unreadable(raws: list[bytes]) -> None:
    distinct = {dedupe_key(raw) for raw in raws}
    # Two pairs of files share a Message-ID: each pair is one message received twice.
    assert len(distinct) == len(raws) - 2
    assert InboundEmail.objects.count() == len(distinct)
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {"processed"}
    partly_unreadable = 0
    for inbound in InboundEmail.objects.all():
        assert bytes(inbound.raw) in raws  # kept byte for byte
        message = Message.objects.select_related("conversation").filter(raw_email=inbound).first()
        if message is None:
            # A report of undelivered mail or a complaint is a bounce, not a conversation.
            report = classify_message(bytes(inbound.raw))
            assert report.is_bounce or report.kind == BounceKind.COMPLAINT, inbound
            continue
        if parse_email(bytes(inbound.raw)).defects:
            partly_unreadable += 1
            assert message.conversation.needs_attention, inbound
    # No boundary, no closing boundary, no blank line after the header, no sender: at least.
    assert partly_unreadable >= 4


@pytest.mark.django_db
def test_the_import_path_stores_every_public_email_once() -> None:
    raws = raw_emails()
    created = ingest_batch(raws, source="test")
    assert sum(created) == len(raws) - 2
    assert_every_email_stored_once_and_flagged_when_partly_unreadable(raws)


@pytest.mark.django_db
def test_the_one_by_one_path_stores_every_public_email_once() -> None:
    raws = raw_emails()
    created = [ingest_raw_email(raw, source="test")[0].created for raw in raws]
    assert sum(created) == len(raws) - 2
    assert_every_email_stored_once_and_flagged_when_partly_unreadable(raws)
