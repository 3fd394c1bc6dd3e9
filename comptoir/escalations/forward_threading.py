"""Recognise an internal service's answer to a forward request among inbound emails.

The email that carries a forward says which request it belongs to in three ways, strongest
first, like the customer's reply clues in `conversations.reply_threading`:
- its Message-ID, which the service's answer names in In-Reply-To or References; forward
  Message-IDs carry a marker, so customers' emails cost no query;
- a signed token in its Reply-To address (support+f12-k3j9x2a7b1@…);
- its reference in the subject ([#F12]), trusted only from the address the request went to.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings

from comptoir.conversations.reply_threading import AddressToken

FORWARD_TOKEN = AddressToken("f", "comptoir.escalations.forward-token")
SUBJECT_REFERENCE_PATTERN = re.compile(r"\[#F(?P<id>\d+)\]", re.IGNORECASE)
MESSAGE_ID_MARKER = ".forward@"


def forward_reply_address(request_id: int) -> str:
    """Return the address that brings an internal service's answer back to its request."""
    return FORWARD_TOKEN.address(request_id)


def new_forward_message_id() -> str:
    """Return a Message-ID for a forward email, with the marker answers are spotted by."""
    domain = settings.COMPTOIR_SUPPORT_ADDRESS.partition("@")[2] or "comptoir.localhost"
    return make_msgid(idstring="forward", domain=domain).strip("<>")


def is_forward_message_id(message_id: str) -> bool:
    return MESSAGE_ID_MARKER in message_id


def request_id_from_addresses(addresses: Iterable[str]) -> int | None:
    """Return the forward request named by a valid token in one of these addresses."""
    return FORWARD_TOKEN.find_id(addresses)


def request_id_from_subject(subject: str) -> int | None:
    match = SUBJECT_REFERENCE_PATTERN.search(subject or "")
    return int(match["id"]) if match else None


@dataclass
class AnswerClues:
    """What an inbound email tells about the forward request it may answer."""

    message_ids: list[str]  # In-Reply-To first, then References, newest first
    recipient_addresses: list[str]
    subject: str
    sender: str  # normalised

    @property
    def forward_message_ids(self) -> list[str]:
        return [m for m in self.message_ids if is_forward_message_id(m)]

    @property
    def named_request_ids(self) -> set[int]:
        named = (
            request_id_from_addresses(self.recipient_addresses),
            request_id_from_subject(self.subject),
        )
        return {request_id for request_id in named if request_id}

    @property
    def may_answer_a_forward(self) -> bool:
        return bool(self.forward_message_ids or self.named_request_ids)
