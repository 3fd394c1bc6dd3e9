"""Turn raw email bytes into a ParsedEmail. Never raises on malformed mail.

Parsing uses the fast compat32 policy and decodes headers and bodies by hand: it is several
times faster than email.policy.default and lets every decoding problem become a defect.
The ParsedEmail fields and parse_email() signature are the contract used by mail.inbound.
"""

import codecs
import email
import email.header
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from html.parser import HTMLParser

import nh3

from comptoir.mail.auto_submitted import is_auto_submitted
from comptoir.mail.reply_extraction import extract_reply


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str  # as declared by the sender
    content: bytes
    content_id: str = ""
    is_inline: bool = False


@dataclass
class ParsedEmail:
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""  # sanitised
    reply_text: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_submitted: bool = False
    language: str = ""
    # Problems met while parsing; an email with problems is still stored, and flagged.
    defects: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """Return the `comptoir parse-mail --json` contract: keep these key names."""
        return {
            "from": self.from_address,
            "from_name": self.from_name,
            "to": self.to,
            "cc": self.cc,
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": self.references,
            "text": self.text,
            "html": self.html,
            "reply_text": self.reply_text,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.content)}
                for a in self.attachments
            ],
            "auto_submitted": self.auto_submitted,
            "language": self.language,
        }



_ID = re.compile(r"<([^<>\s]+)>")
_MAX_PARTS = 500


def strip_brackets(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def _ids(value: str) -> list[str]:
    found = _ID.findall(value)
    if found:
        return found
    return [strip_brackets(v) for v in value.split() if strip_brackets(v)]


MESSAGE_ID_HEADER = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def message_id_of(raw: bytes) -> str:
    """Return the Message-ID of raw email bytes (cheap: headers only), or ''."""
    try:
        head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        # A regular expression over the header block: this runs once per received copy,
        # duplicates included, so it skips building a Message object.
        found = MESSAGE_ID_HEADER.search(head)
        value = found[1].decode("ascii", errors="replace") if found else ""
        ids = _ids(decode_header(value))
        return (ids[0] if ids else "")[:998]
    except Exception:
        return ""


def _charset(name: str | None) -> str:
    name = (name or "").strip().strip('"').lower() or "us-ascii"
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return ""


def _decode_bytes(data: bytes, charset: str | None, defects: list[str]) -> str:
    codec = _charset(charset)
    if codec in {"us-ascii", "ascii"}:
        codec = "utf-8"  # Undeclared 8-bit text is nearly always UTF-8 nowadays.
    if codec:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, ValueError, LookupError):
            defects.append("undecodable-charset")
    else:
        defects.append("unknown-charset")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:100_000]).best()
    if best is not None:
        return str(best)
    return data.decode("cp1252", errors="replace")


# compat32 keeps the raw 8-bit bytes of a header as these surrogates (surrogateescape).
RAW_8BIT_BYTE = re.compile("[\udc80-\udcff]")


def decode_header(value: object, defects: list[str] | None = None) -> str:
    """Decode a header value with RFC 2047 words; malformed words are kept as written."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        chunks = value._chunks  # already decoded by the email package
        text = "".join(str(s) for s, _ in chunks)
    else:
        text = str(value)
    if RAW_8BIT_BYTE.search(text):
        # compat32 keeps raw 8-bit header bytes as surrogates: recover them as UTF-8/cp1252.
        raw = text.encode("ascii", "surrogateescape")
        text = _decode_bytes(raw, "utf-8", defects if defects is not None else [])
    if "=?" in text:
        try:
            parts = email.header.decode_header(re.sub(r"\?=\s+=\?", "?==?", text))
            decoded = []
            for chunk, charset in parts:
                if isinstance(chunk, bytes):
                    decoded.append(_decode_bytes(chunk, charset, defects if defects is not None else []))
                else:
                    decoded.append(chunk)
            text = "".join(decoded)
        except Exception:
            if defects is not None:
                defects.append("bad-encoded-word")
    return " ".join(text.split())


def _addresses(message: Message, name: str, defects: list[str]) -> list[tuple[str, str]]:
    values = [decode_header(v, defects) for v in message.get_all(name, []) or []]
    try:
        pairs = email.utils.getaddresses(values)
    except Exception:
        defects.append("bad-address")
        return []
    result = []
    for display, address in pairs:
        address = address.strip()
        if "@" not in address:
            continue
        local, _, domain = address.rpartition("@")
        result.append((display.strip(), f"{local}@{domain.lower()}"))
    return result


class _HTMLText(HTMLParser):
    """Visible text of HTML, with line breaks for blocks; skips script/style and quotes."""

    _BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}

    def __init__(self, cut_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.cut_quotes = cut_quotes
        self.stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        attributes = dict(attrs)
        if self.cut_quotes and (
            "gmail_quote" in (attributes.get("class") or "")
            or (tag == "blockquote" and attributes.get("type") == "cite")
            or attributes.get("id") in {"divRplyFwdMsg", "appendonsend"}
            or "moz-cite-prefix" in (attributes.get("class") or "")
            # Lotus Notes/Domino puts the quoted message in a "section" after the reply.
            or (attributes.get("class") or "").split() == ["domino-section"]
        ):
            self.stopped = True
            return
        if tag in {"script", "style", "head", "title"}:
            self.skip += 1
        if tag in self._BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head", "title"} and self.skip:
            self.skip -= 1
        if tag in {"p", "div", "tr", "li", "h1", "h2", "h3"}:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip and not self.stopped:
            self.out.append(data)


def html_to_text(html: str, cut_quotes: bool = False) -> str:
    parser = _HTMLText(cut_quotes)
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        pass
    text = "".join(parser.out).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _clean_html(html: str) -> str:
    return nh3.clean(html, url_schemes={"http", "https", "mailto", "cid"})


def _payload_bytes(part: Message, defects: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        defects.append("bad-transfer-encoding")
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    return data


def _filename(part: Message, defects: list[str]) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
        defects.append("bad-filename")
    if name is None:
        try:
            name = part.get_param("name")
        except Exception:
            name = None
    if isinstance(name, tuple):
        name = email.utils.collapse_rfc2231_value(name)
    if name and "\ufffd" in str(name):
        # An unencoded 8-bit name (name=管理.doc): the email package turns its bytes into
        # replacement characters; the raw header still has them, as decode_header expects.
        name = _raw_parameter(part, "content-disposition", "filename") or _raw_parameter(
            part, "content-type", "name"
        ) or name
    return decode_header(name, defects) if name else ""


def _raw_parameter(part: Message, header: str, parameter: str) -> str | None:
    for name, value in part.raw_items():
        if name.lower() == header:
            found = re.search(rf'\b{parameter}\s*=\s*(?:"([^"]*)"|([^;\s]+))', str(value), re.I)
            if found:
                return found[1] if found[1] is not None else found[2]
    return None


def _tnef_attachments(data: bytes, defects: list[str]) -> list[ParsedAttachment] | None:
    try:
        from tnefparse.tnef import TNEF

        tnef = TNEF(data)
        return [
            ParsedAttachment(
                filename=(a.long_filename() or a.name or "attachment").strip("\x00"),
                content_type="application/octet-stream",
                content=bytes(a.data),
            )
            for a in tnef.attachments
        ]
    except Exception:
        defects.append("bad-tnef")
        return None


def _walk(message: Message, parsed: ParsedEmail, texts: list[str], htmls: list[str], depth: int = 0) -> None:
    defects = parsed.defects
    parts = [message]
    seen = 0
    while parts:
        part = parts.pop(0)
        seen += 1
        if seen > _MAX_PARTS:
            defects.append("too-many-parts")
            return
        content_type = part.get_content_type()
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                if content_type == "message/rfc822":
                    # An attached email: keep it whole as an .eml attachment.
                    inner = payload[0] if payload else None
                    content = inner.as_bytes() if inner is not None else b""
                    parsed.attachments.append(
                        ParsedAttachment(
                            filename=_filename(part, defects) or "message.eml",
                            content_type="message/rfc822",
                            content=content,
                        )
                    )
                    continue
                parts = [*payload, *parts]
            continue
        # decode_header, not str(): with raw 8-bit bytes the email package gives a Header.
        disposition = decode_header(part.get("Content-Disposition")).split(";")[0].strip().lower()
        filename = _filename(part, defects)
        content_id = strip_brackets(decode_header(part.get("Content-ID", "")))
        data = _payload_bytes(part, defects)
        is_body_text = content_type in {"text/plain", "text/html"} and disposition != "attachment" and not filename
        if is_body_text:
            text = _decode_bytes(data, part.get_content_charset(), defects)
            (texts if content_type == "text/plain" else htmls).append(text)
            continue
        if content_type == "application/ms-tnef" or filename.lower() == "winmail.dat":
            found = _tnef_attachments(data, defects)
            if found is not None:
                parsed.attachments.extend(found)
                continue
        if content_type.startswith("multipart/") or (not data and not filename):
            continue
        parsed.attachments.append(
            ParsedAttachment(
                filename=filename or _default_name(content_type),
                content_type=content_type,
                content=data,
                content_id=content_id,
                is_inline=disposition == "inline" or bool(content_id and disposition != "attachment"),
            )
        )


def _default_name(content_type: str) -> str:
    if content_type == "message/rfc822":
        return "message.eml"
    return "attachment" + {"text/calendar": ".ics", "text/plain": ".txt"}.get(content_type, "")


DATE_COMMENT = re.compile(r"\([^()]*\)")


def _date(value: str, defects: list[str]) -> datetime | None:
    if not value:
        return None
    # A comment before the zone ("00:19:00 (EDT) -0400") makes the stdlib drop the zone.
    value = " ".join(DATE_COMMENT.sub(" ", value).split())
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("bad-date")
        return None
    if parsed.tzinfo is None:
        from datetime import timezone

        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _detect_language(text: str) -> str:
    # 250 characters tell our languages apart (same answer as 400 for 98.7 % of the corpus,
    # the others Russian or HTML source); langid's cost grows with length and is a third
    # of the parse time at 400.
    sample = " ".join(text[:800].split())[:250]
    if len(sample) < 20:
        return ""
    from comptoir.mail.language import detect_language

    return detect_language(sample)


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw bytes; never raises, problems go to `defects`."""
    parsed = ParsedEmail()
    try:
        _parse_into(raw if isinstance(raw, bytes) else bytes(raw), parsed)
    except Exception as error:  # A last guard: the inbound pipeline must never lose a mail.
        parsed.defects.append(f"parse-error:{type(error).__name__}")
    _remove_nul_characters(parsed)
    return parsed


def _remove_nul_characters(parsed: ParsedEmail) -> None:
    """NUL never means anything in mail text, and PostgreSQL refuses it in text and JSON."""
    for name, value in vars(parsed).items():
        if isinstance(value, str) and "\x00" in value:
            setattr(parsed, name, value.replace("\x00", ""))
            _add_defect(parsed.defects, "nul-character")
        elif isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value):
            setattr(parsed, name, [v.replace("\x00", "") for v in value])
            _add_defect(parsed.defects, "nul-character")
    for attachment in parsed.attachments:
        attachment.filename = attachment.filename.replace("\x00", "")
        attachment.content_type = attachment.content_type.replace("\x00", "")
        attachment.content_id = attachment.content_id.replace("\x00", "")


def _add_defect(defects: list[str], defect: str) -> None:
    if defect not in defects:
        defects.append(defect)


def _parse_into(raw: bytes, parsed: ParsedEmail) -> None:
    defects = parsed.defects
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    for defect in message.defects:
        defects.append(type(defect).__name__)
    senders = _addresses(message, "From", defects) or _addresses(message, "Sender", defects)
    if senders:
        parsed.from_name, parsed.from_address = senders[0]
    else:
        defects.append("no-sender")
    parsed.to = [a for _, a in _addresses(message, "To", defects)]
    parsed.cc = [a for _, a in _addresses(message, "Cc", defects)]
    parsed.reply_to = [a for _, a in _addresses(message, "Reply-To", defects)]
    parsed.subject = decode_header(message.get("Subject", ""), defects)
    ids = _ids(decode_header(message.get("Message-ID", "")))
    parsed.message_id = ids[0] if ids else ""
    in_reply_to = _ids(decode_header(message.get("In-Reply-To", "")))
    parsed.in_reply_to = in_reply_to[-1] if in_reply_to else ""
    parsed.references = _ids(decode_header(message.get("References", "")))
    parsed.date = _date(decode_header(message.get("Date", "")), defects)
    texts: list[str] = []
    htmls: list[str] = []
    _walk(message, parsed, texts, htmls)
    html = "\n".join(htmls)
    text = "\n".join(texts) if texts else html_to_text(html)
    parsed.text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    parsed.html = _clean_html(html) if html else ""
    if texts or not html:
        parsed.reply_text = extract_reply(parsed.text)
    else:
        parsed.reply_text = extract_reply(html_to_text(html, cut_quotes=True))
    head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    parsed.auto_submitted = is_auto_submitted(message, parsed.from_address, head)
    try:
        parsed.language = _detect_language(parsed.reply_text or parsed.text)
    except Exception:
        parsed.defects.append("language-detection-failed")
