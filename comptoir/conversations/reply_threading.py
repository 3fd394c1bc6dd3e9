"""Find the conversation an incoming message answers.

Three clues, strongest first: the Message-IDs it answers (In-Reply-To, References), a reply
token in the address it was sent to (support+c42-k3j9x2@…), and a reference in the subject
([#42]). The subject clue is only trusted when the sender is that conversation's customer,
since anyone can type "[#42]".
"""

import re
from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import salted_hmac

from comptoir.conversations.models import Conversation, Message

REPLY_TOKEN_SALT = "comptoir.conversations.reply-token"
REPLY_TOKEN_PATTERN = re.compile(r"\+c(?P<id>\d+)-(?P<signature>[a-z0-9]{10})@", re.IGNORECASE)
SUBJECT_REFERENCE_PATTERN = re.compile(r"\[#(?P<id>\d+)\]")


def reply_token_signature(conversation_id: int) -> str:
    digest = salted_hmac(REPLY_TOKEN_SALT, str(conversation_id), algorithm="sha256").hexdigest()
    return digest[:10]


def reply_address(conversation_id: int) -> str:
    """Return the address that threads a customer's answer back to this conversation."""
    local, _, domain = settings.COMPTOIR_SUPPORT_ADDRESS.partition("@")
    return f"{local}+c{conversation_id}-{reply_token_signature(conversation_id)}@{domain}"


def conversation_id_from_addresses(addresses: Iterable[str]) -> int | None:
    """Return the conversation named by a valid reply token in one of these addresses."""
    for address in addresses:
        match = REPLY_TOKEN_PATTERN.search(address + "@" if "@" not in address else address)
        if not match:
            continue
        conversation_id = int(match["id"])
        if match["signature"].lower() == reply_token_signature(conversation_id):
            return conversation_id
    return None


def conversation_id_from_subject(subject: str) -> int | None:
    match = SUBJECT_REFERENCE_PATTERN.search(subject or "")
    return int(match["id"]) if match else None


def find_conversation_for_message(
    *,
    message_ids: Iterable[str],
    recipient_addresses: Iterable[str],
    subject: str,
    customer_id: int,
) -> Conversation | None:
    """Return the conversation this message answers, or None for a new request."""
    message_ids = [m for m in message_ids if m]
    if message_ids:
        answered = (
            Message.objects.filter(message_id__in=message_ids)
            .select_related("conversation")
            .order_by("-created_at")
            .first()
        )
        if answered:
            return answered.conversation
    by_token = conversation_id_from_addresses(recipient_addresses)
    if by_token:
        conversation = Conversation.objects.filter(pk=by_token).first()
        if conversation:
            return conversation
    by_subject = conversation_id_from_subject(subject)
    if by_subject:
        return Conversation.objects.filter(pk=by_subject, customer_id=customer_id).first()
    return None
