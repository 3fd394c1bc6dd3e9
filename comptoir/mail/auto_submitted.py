"""Decide whether an email was sent by a machine, so we never auto-reply to it (RFC 3834).

Mailing lists (List-Id / List-Unsubscribe) count as automatic: answering a list with an
acknowledgement spams every subscriber and is the classic loop; a customer writing from a
personal mailbox never carries those headers.
"""

import re
from email.message import Message

_MACHINE_LOCALPARTS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|bounces?|"
    r"noreply[-+.].*|no-reply[-+.].*|bounce[-+.].*|auto-?reply|autoresponder)$"
)


def is_auto_submitted(message: Message, from_address: str, raw_head: bytes) -> bool:
    """Return True when the headers say a machine wrote this email."""
    auto = str(message.get("Auto-Submitted", "") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return True
    if str(message.get("Precedence", "") or "").strip().lower() in {"bulk", "list", "junk"}:
        return True
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        if message.get(name) is not None:
            return True
    suppress = str(message.get("X-Auto-Response-Suppress", "") or "").lower()
    # Exchange marks its own out-of-office and automatic mail with these values.
    if any(token in suppress for token in ("all", "oof", "autoreply")):
        return True
    if message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None:
        return True
    if message.get_content_type() == "multipart/report":
        return True
    localpart = from_address.rpartition("@")[0].lower()
    if localpart and _MACHINE_LOCALPARTS.match(localpart):
        return True
    # Bounces come with a null reverse path; only trust it when it is really in the headers.
    return re.search(rb"(?im)^return-path:\s*<\s*>", raw_head) is not None
