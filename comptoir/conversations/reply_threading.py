"""Find the conversation an incoming message answers.

Three clues, strongest first: the Message-IDs it answers (In-Reply-To, References), a reply
token in the address it was sent to (support+c42-k3j9x2@…), and a reference in the subject
([#42]). The subject clue is only trusted when the sender is that conversation's customer,
since anyone can type "[#42]".
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from comptoir.core.signing import salted_hmac
from comptoir.conversations.models import Conversation, Message

SUBJECT_REFERENCE_PATTERN = re.compile(r"\[#(?P<id>\d+)\]")


@dataclass(frozen=True)
class AddressToken:
    """A signed tag in the plus part of the support address, naming one object:
    support+c42-<signature>@shop.example. A forged or altered tag names nothing.

    One letter per kind of object: `c` a conversation (a customer's answer), `f` a forward
    request (comptoir.escalations: an internal service's answer), `d` a delivery (the bounce
    address of one send, comptoir.mail.verp).
    """

    letter: str
    salt: str

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(
            rf"\+{self.letter}(?P<id>\d+)-(?P<signature>[a-z0-9]{{10}})@", re.IGNORECASE
        )

    def signature(self, object_id: int) -> str:
        digest = salted_hmac(self.salt, str(object_id), algorithm="sha256").hexdigest()
        return digest[:10]

    def address(self, object_id: int, mailbox: str = "") -> str:
        """Return the tagged address, on `mailbox` (the support address by default)."""
        local, _, domain = (mailbox or settings.COMPTOIR_SUPPORT_ADDRESS).partition("@")
        return f"{local}+{self.letter}{object_id}-{self.signature(object_id)}@{domain}"

    def find_id(self, addresses: Iterable[str]) -> int | None:
        """Return the object named by a valid tag in one of these addresses."""
        pattern = self.pattern
        for address in addresses:
            match = pattern.search(address if "@" in address else address + "@")
            if match and match["signature"].lower() == self.signature(int(match["id"])):
                return int(match["id"])
        return None


CONVERSATION_TOKEN = AddressToken("c", "comptoir.conversations.reply-token")


def reply_token_signature(conversation_id: int) -> str:
    return CONVERSATION_TOKEN.signature(conversation_id)


def reply_address(conversation_id: int) -> str:
    """Return the address that threads a customer's answer back to this conversation."""
    return CONVERSATION_TOKEN.address(conversation_id)


def conversation_id_from_addresses(addresses: Iterable[str]) -> int | None:
    """Return the conversation named by a valid reply token in one of these addresses."""
    return CONVERSATION_TOKEN.find_id(addresses)


def conversation_id_from_subject(subject: str) -> int | None:
    match = SUBJECT_REFERENCE_PATTERN.search(subject or "")
    return int(match["id"]) if match else None


@dataclass
class ThreadingClues:
    """What an incoming message tells about the conversation it may answer."""

    message_ids: list[str]  # In-Reply-To first, then References, newest first
    recipient_addresses: list[str]
    subject: str
    customer_id: int


class ConversationLookup:
    """Threading for a whole batch of incoming messages in two queries.

    Built from the clues of every message of the batch; `remember` then adds the messages
    stored by the batch itself, so that a reply later in the same batch (an mbox holding a
    whole exchange) finds the conversation its first message opened.
    """

    def __init__(self, all_clues: Iterable[ThreadingClues]) -> None:
        all_clues = list(all_clues)
        self.in_batch: dict[str, Conversation] = {}
        message_ids = {m for clues in all_clues for m in clues.message_ids if m}
        # message_id -> conversation id of the latest message carrying it
        self.by_message_id: dict[str, int] = dict(
            Message.objects.filter(message_id__in=message_ids)
            .order_by("created_at", "pk")
            .values_list("message_id", "conversation_id")
        ) if message_ids else {}
        named = {
            conversation_id
            for clues in all_clues
            for conversation_id in (
                conversation_id_from_addresses(clues.recipient_addresses),
                conversation_id_from_subject(clues.subject),
            )
            if conversation_id
        }
        wanted = set(self.by_message_id.values()) | named
        self.conversations: dict[int, Conversation] = (
            Conversation.objects.in_bulk(wanted) if wanted else {}
        )

    def remember(self, message_id: str, conversation: Conversation) -> None:
        """Note a message stored by this batch (its conversation may not be saved yet)."""
        if message_id:
            self.in_batch[message_id] = conversation

    def find(self, clues: ThreadingClues) -> Conversation | None:
        """Return the conversation this message answers, or None for a new request."""
        for message_id in clues.message_ids:
            conversation = self.in_batch.get(message_id) or self.conversations.get(
                self.by_message_id.get(message_id, 0)
            )
            if conversation:
                return conversation
        by_token = conversation_id_from_addresses(clues.recipient_addresses)
        if by_token and by_token in self.conversations:
            return self.conversations[by_token]
        by_subject = self.conversations.get(conversation_id_from_subject(clues.subject) or 0)
        if by_subject and by_subject.customer_id == clues.customer_id:
            return by_subject
        return None


def find_conversation_for_message(clues: ThreadingClues) -> Conversation | None:
    """Return the conversation one message answers, or None for a new request."""
    return ConversationLookup([clues]).find(clues)
