"""The bytes of an outbound email (RFC 5322 + MIME), written directly.

Why not the email package (or Django's EmailMessage over it): its generator costs about 5 ms
a message here, most of it folding headers, where a campaign's 1,000 messages a second leave
1 ms for everything; and its folding breaks a long List-Unsubscribe URL, which Gmail then
ignores. What we send is simple and always the same shape — text, or text and HTML as
multipart/alternative, UTF-8, quoted-printable — so the pieces that need care are still the
standard library's: encoded words (email.header), addresses (email.utils), quoted-printable
(binascii, in C).
"""

import binascii
import re
import secrets
from email.header import Header
from email.utils import formataddr, formatdate, getaddresses

CRLF = "\r\n"
BRACKETED = re.compile(r"<[^<>]*>")
# Headers that hold addresses: display names are encoded, addresses kept as they are.
ADDRESS_HEADERS = {"from", "to", "cc", "reply-to"}
# Headers that hold a list of <…> items: folded between items only, never inside one
# (a URL or Message-ID cut in two is no longer one).
BRACKETED_LIST_HEADERS = {"references", "in-reply-to", "list-unsubscribe"}


def header_line(name: str, value: str) -> str:
    """One header, folded where a fold is harmless, encoded (RFC 2047) when not ASCII."""
    lowered = name.lower()
    if lowered in ADDRESS_HEADERS:
        value = ", ".join(formataddr(pair, charset="utf-8") for pair in getaddresses([value]))
    elif lowered in BRACKETED_LIST_HEADERS and value.count("<") > 1:
        value = ("," if lowered == "list-unsubscribe" else "").join(
            f"{CRLF} {item}" if index else item
            for index, item in enumerate(BRACKETED.findall(value))
        )
    elif not value.isascii():
        value = Header(value, "utf-8", header_name=name).encode(linesep=CRLF)
    return f"{name}: {value}{CRLF}"


def text_part(content: str, subtype: str) -> str:
    # Lines end in LF for binascii, then CRLF on the wire; quoted-printable keeps every line
    # under 76 characters whatever the text, as SMTP requires (998 at most).
    data = content.replace("\r\n", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True).decode("ascii")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}"
        + encoded.replace("\n", CRLF)
        + ("" if encoded.endswith("\n") else CRLF)
    )


def email_bytes(headers: list[tuple[str, str]], *, text: str, html: str = "") -> bytes:
    """The whole email: these headers (Date and MIME-Version added), then the body."""
    head = "".join(header_line(name, value) for name, value in headers if value)
    head += f"Date: {formatdate(localtime=False, usegmt=True)}{CRLF}MIME-Version: 1.0{CRLF}"
    if not html:
        return (head + text_part(text, "plain")).encode("utf-8")
    boundary = f"=_comptoir_{secrets.token_hex(12)}"
    body = (
        f"--{boundary}{CRLF}{text_part(text, 'plain')}"
        f"--{boundary}{CRLF}{text_part(html, 'html')}"
        f"--{boundary}--{CRLF}"
    )
    content_type = f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}{CRLF}'
    # UTF-8 only where an address itself is not ASCII (SMTPUTF8); all else is ASCII by now.
    return (head + content_type + body).encode("utf-8")
