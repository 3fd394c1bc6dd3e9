"""Turn raw email bytes into a ParsedEmail. Never raises on malformed mail.

FIRST VERSION: a helper hardens this module (charsets, broken MIME, TNEF, reply extraction).
The ParsedEmail fields and parse_email() signature are the contract used by mail.inbound.
"""

import email
import email.policy
import email.utils
from dataclasses import dataclass, field
from datetime import datetime

import nh3


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


def strip_brackets(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


def message_id_of(raw: bytes) -> str:
    """Return the Message-ID of raw email bytes (cheap: headers only), or ''."""
    headers = email.message_from_bytes(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0])
    value = headers.get("Message-ID", "")
    return strip_brackets(str(value))[:998]


def parse_email(raw: bytes) -> ParsedEmail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parsed = ParsedEmail()
    from_name, from_address = email.utils.parseaddr(str(message.get("From", "")))
    parsed.from_name, parsed.from_address = from_name, from_address
    parsed.to = [a for _, a in email.utils.getaddresses([str(v) for v in message.get_all("To", [])])]
    parsed.cc = [a for _, a in email.utils.getaddresses([str(v) for v in message.get_all("Cc", [])])]
    parsed.subject = str(message.get("Subject", ""))
    parsed.message_id = strip_brackets(str(message.get("Message-ID", "")))
    parsed.in_reply_to = strip_brackets(str(message.get("In-Reply-To", "")))
    parsed.references = [strip_brackets(r) for r in str(message.get("References", "")).split()]
    try:
        parsed.date = email.utils.parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError):
        parsed.date = None
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    parsed.text = text_part.get_content() if text_part else ""
    parsed.html = nh3.clean(html_part.get_content()) if html_part else ""
    parsed.reply_text = parsed.text
    parsed.auto_submitted = str(message.get("Auto-Submitted", "no")).lower() != "no"
    return parsed
