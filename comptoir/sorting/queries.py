"""Reads of sorting: the latest classifier, the text a conversation is sorted on."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from comptoir.conversations.models import Conversation, Message
from comptoir.sorting.models import Classification, ClassifierModel


@dataclass(frozen=True)
class ConversationText:
    subject: str
    body: str
    language: str


def find_latest_version() -> tuple[int, datetime] | None:
    """Return the version number and training time of the latest classifier, or None."""
    return ClassifierModel.objects.order_by("-version").values_list("version", "trained_at").first()


def find_classification(conversation: Conversation) -> Classification | None:
    return Classification.objects.filter(conversation=conversation).first()


def list_pending_conversation_ids(limit: int) -> list[int]:
    """Return conversations with a message from the customer and no classification yet,
    newest first: a fresh request matters more than history being caught up."""
    inbound = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Message.Direction.INBOUND
    )
    return list(
        Conversation.objects.filter(Exists(inbound), classification__isnull=True)
        .order_by("-pk")
        .values_list("pk", flat=True)[:limit]
    )


def list_conversation_texts(conversation_ids: list[int]) -> dict[int, ConversationText]:
    """Return the text each conversation is sorted on: its subject and the new text of the
    customer's first message (the request; later ones are follow-ups). One query."""
    texts: dict[int, ConversationText] = {}
    rows = (
        Message.objects.filter(
            conversation_id__in=conversation_ids, direction=Message.Direction.INBOUND
        )
        .order_by("conversation_id", "created_at", "pk")
        .values_list("conversation_id", "conversation__subject", "reply_text", "text", "language")
    )
    for conversation_id, subject, reply_text, text, language in rows:
        if conversation_id not in texts:
            texts[conversation_id] = ConversationText(
                subject=subject, body=reply_text or text, language=language
            )
    return texts


def list_corrected_classifications() -> QuerySet[Classification]:
    """Return the classifications a manager corrected: the company's own training labels."""
    return Classification.objects.filter(corrected_at__isnull=False).order_by("pk")
