"""A letter as an A4 PDF, laid out for a French window envelope (DL, window on the right).

The HTML comes from our own Django template (templates/letters/letter.html); the body is
the message template's rendered HTML, cleaned (nh3) so that an author's markup cannot
change the page, and WeasyPrint loads nothing from outside: no file, no network (only
data: URLs, for an inline logo or picture).
"""

import re
from dataclasses import dataclass, field
from datetime import date

import nh3
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import HTML, URLFetcher

from comptoir.letters.config import LetterConfig, address_lines
from comptoir.messaging.rendering import MONTHS

BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)


@dataclass(frozen=True)
class LetterContent:
    recipient: str  # the customer's postal address, one line per line
    subject: str
    body_html: str  # the rendered message (a whole HTML document or a fragment)
    written_on: date
    to_sign: bool = False
    reference: str = ""
    sender: LetterConfig = field(default_factory=LetterConfig.current)


@dataclass(frozen=True)
class RenderedLetter:
    pdf: bytes
    pages: int


def french_date(day: date) -> str:
    """ "26 novembre 2026", "1er décembre 2026": the date line of a French letter."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def letter_body(html: str) -> str:
    """Return the message's content, without its document shell, styles or scripts."""
    match = BODY.search(html)
    return nh3.clean(match.group(1) if match else html)


def letter_html(content: LetterContent) -> str:
    return render_to_string(
        "letters/letter.html",
        {
            "sender": content.sender,
            "recipient_lines": address_lines(content.recipient),
            "place_and_date": f"{content.sender.city}, le {french_date(content.written_on)}",
            "subject": content.subject,
            # Cleaned by nh3 just above: only harmless tags and attributes are left.
            "body": mark_safe(letter_body(content.body_html)),  # noqa: S308
            "to_sign": content.to_sign,
            "reference": content.reference,
        },
    )


def render_letter(content: LetterContent) -> RenderedLetter:
    """Render the letter to PDF bytes; pure (writes nothing)."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    document = HTML(string=letter_html(content), url_fetcher=fetcher).render()
    return RenderedLetter(pdf=document.write_pdf(), pages=len(document.pages))
