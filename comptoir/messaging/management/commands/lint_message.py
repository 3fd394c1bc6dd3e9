"""`comptoir lint-message FILE [--json]`: the quality gate on a template or a message.

FILE is a rendered email (.eml), an HTML or MJML template, or plain text (an agent's reply,
an SMS, a chat answer). Exit status: 0 without errors (warnings allowed), 1 with errors,
2 when the file cannot be read.
"""

import json
import sys
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path

from django.core.management.base import CommandParser
from django.db import DatabaseError

from comptoir.mail.management.email_file_command import EmailFileCommand
from comptoir.messaging.models import ToneCharter
from comptoir.messaging.quality_gate import (
    CHANNELS,
    KINDS,
    REPLY,
    Charter,
    Draft,
    check_message,
    has_errors,
)

TEMPLATE_SUFFIXES = {".html", ".htm", ".mjml", ".j2", ".jinja", ".jinja2"}


class Command(EmailFileCommand):
    help = "Check a template or a message against the quality gate; errors block sending."
    file_help = ".eml, .html/.mjml template, or .txt"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--kind",
            choices=KINDS,
            default=None,
            help="default: reply for text, relationship otherwise",
        )
        parser.add_argument("--channel", choices=CHANNELS, default="email")
        parser.add_argument("--subject", default="", help="the subject of a template or text")
        parser.add_argument("--check-links", action="store_true", help="also fetch every link")

    def handle(self, *args: object, **options: object) -> None:
        path, raw = self.read_file(options)
        draft = draft_from_file(
            path,
            raw,
            kind=options["kind"],
            channel=str(options["channel"]),
            subject=str(options["subject"]),
        )
        findings = check_message(
            draft, charter=saved_charter(self.stderr), check_links=bool(options["check_links"])
        )
        if options["json"]:
            self.stdout.write(json.dumps([f.as_json() for f in findings], ensure_ascii=False))
        else:
            for finding in findings:
                self.stdout.write(f"{finding.severity:7} {finding.rule:26} {finding.message}")
            if not findings:
                self.stdout.write("OK")
        if has_errors(findings):
            sys.exit(1)


def saved_charter(stderr: object) -> Charter:
    """The company's tone charter; the defaults when the tool runs without a database
    (a template checked on a developer's machine, in a shop's CI)."""
    try:
        return Charter.current()
    except DatabaseError:
        stderr.write("no Comptoir database here: the default tone charter applies")  # type: ignore[attr-defined]
        return Charter.of(ToneCharter())


def draft_from_file(path: Path, raw: bytes, *, kind: object, channel: str, subject: str) -> Draft:
    if path.suffix.lower() == ".eml":
        return draft_from_email(message_from_bytes(raw, policy=default), kind=kind)  # type: ignore[arg-type]
    text = raw.decode("utf-8", errors="replace")
    if path.suffix.lower() in TEMPLATE_SUFFIXES:
        return Draft(
            channel=channel,
            kind=str(kind or "relationship"),
            subject=subject,
            html=text,
            is_template="{{" in text or "{%" in text,
        )
    return Draft(
        channel=channel,
        kind=str(kind or REPLY),
        subject=subject,
        text=text,
        is_template="{{" in text,
    )


def draft_from_email(message: Message, *, kind: object) -> Draft:
    def body(subtype: str) -> str:
        part = message.get_body(preferencelist=(subtype,))  # type: ignore[attr-defined]
        return part.get_content() if part is not None else ""

    headers = {name: str(value) for name, value in message.items()}
    unsubscribable = "List-Unsubscribe" in message
    return Draft(
        channel="email",
        kind=str(kind or ("relationship" if unsubscribable else REPLY)),
        subject=str(message.get("Subject", "")),
        text=body("plain"),
        html=body("html"),
        from_address=str(message.get("From", "")),
        reply_to=str(message.get("Reply-To", "")),
        headers=headers,
    )
