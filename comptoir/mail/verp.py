"""The bounce address of one send (VERP): bounces+d42-k3j9x2a7b1@shop.example.

Every delivery leaves with its own SMTP envelope sender (Return-Path). A receiving server
that cannot deliver sends its report to that address, so the report names the delivery, and
through it the recipient, even when it quotes neither our Message-ID nor the address (many
servers' reports do not). The tag is signed: a forged report names nothing.
"""

import email
import re
from collections.abc import Iterable
from email.policy import compat32
from email.utils import getaddresses

from django.conf import settings

from comptoir.conversations.reply_threading import AddressToken

DELIVERY_TOKEN = AddressToken("d", "comptoir.mail.verp")
# Where a report to the envelope sender shows the address it was sent to, besides To:
# the headers delivery agents add (Postfix, Exim, Dovecot, Gmail's forwarding).
ENVELOPE_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")
HEAD_END = re.compile(rb"\r?\n\r?\n")


def bounce_mailbox() -> str:
    """The mailbox that receives the reports: COMPTOIR_BOUNCE_ADDRESS, else the support one."""
    return settings.COMPTOIR_BOUNCE_ADDRESS or settings.COMPTOIR_SUPPORT_ADDRESS


def bounce_address(delivery_id: int) -> str:
    """Return the envelope sender of this delivery, which names it in any report."""
    return DELIVERY_TOKEN.address(delivery_id, mailbox=bounce_mailbox())


def delivery_id_from_addresses(addresses: Iterable[str]) -> int | None:
    """Return the delivery named by a valid bounce address among these addresses."""
    return DELIVERY_TOKEN.find_id(addresses)


def delivery_id_from_email(raw: bytes, envelope_to: Iterable[str] = ()) -> int | None:
    """Return the delivery a returned report was addressed to: its envelope recipients, else
    the addresses in the report's own head (a report read from IMAP or a file has no
    envelope)."""
    found = delivery_id_from_addresses(envelope_to)
    if found is not None:
        return found
    match = HEAD_END.search(raw)
    head = raw[: match.start()] if match else raw[:16384]
    message = email.message_from_bytes(head, policy=compat32)
    values = [str(v) for name in ENVELOPE_HEADERS for v in message.get_all(name, [])]
    return delivery_id_from_addresses(address for _, address in getaddresses(values) if address)
