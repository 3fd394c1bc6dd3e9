"""Reads of collaboration: an agent's notifications, the conversation's audit trail, and the
replies another agent sent while this one was writing."""

from django.db.models import QuerySet

from comptoir.agents.models import Agent
from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.conversations import queries as conversations
from comptoir.collaboration.models import Notification


def list_notifications(agent: Agent) -> QuerySet[Notification]:
    """Return the agent's notifications, newest first, on conversations they may still open."""
    return (
        Notification.objects.filter(
            recipient=agent,
            conversation__in=conversations.visible_conversations(agent).values("pk"),
        )
        .select_related("conversation", "message", "actor")
        .order_by("-created_at", "-pk")
    )


def count_unread_notifications(agent: Agent) -> int:
    """Return how many of the agent's notifications are unread (the header badge)."""
    return list_notifications(agent).filter(read_at__isnull=True).count()


def get_notification(pk: int, *, agent: Agent) -> Notification:
    """Return one of the agent's notifications; raise Notification.DoesNotExist otherwise."""
    return list_notifications(agent).get(pk=pk)


def may_open_conversation(agent: Agent, conversation_id: int) -> bool:
    """Whether the agent may open this conversation (the conversations app's one gate)."""
    return conversations.visible_conversations(agent).filter(pk=conversation_id).exists()


def list_replies_since(
    *, conversation: Conversation, agent: Agent, last_seen: object
) -> list[Message]:
    """Return the answers to the customer that others sent after message `last_seen`.

    `last_seen` is the newest message id the agent's page showed, as posted by the reply
    form; when it is missing or unreadable nothing can be said, and nothing is returned.
    """
    try:
        last_seen_id = int(str(last_seen))
    except ValueError:
        return []
    return list(
        conversation.messages.filter(direction=Message.Direction.OUTBOUND, pk__gt=last_seen_id)
        .exclude(author=agent)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def list_audit_trail(conversation: Conversation) -> QuerySet[ConversationEvent]:
    """Return the conversation's audit trail, oldest first, with who did each thing."""
    return conversation.events.select_related("actor").order_by("at", "pk")
