from django import template
from django.utils.safestring import SafeString

from comptoir.agents.models import Agent
from comptoir.collaboration import audit_trail, mentions, queries
from comptoir.conversations.models import Conversation, Message

register = template.Library()


@register.simple_tag
def unread_notification_count(agent: Agent) -> int:
    """Return the number of the agent's unread notifications, for the header badge."""
    return queries.count_unread_notifications(agent)


@register.simple_tag
def conversation_audit_trail(conversation: Conversation) -> list[audit_trail.TrailEntry]:
    """Return the conversation's audit trail, told in words, oldest first."""
    return audit_trail.describe_events(queries.list_audit_trail(conversation))


@register.simple_tag
def last_message_id(thread: object) -> int | str:
    """Return the newest message id of the thread the page shows (already read: no query)."""
    ids = [message.pk for message in thread if isinstance(message, Message)]  # type: ignore[attr-defined]
    return max(ids) if ids else 0


@register.simple_tag
def mention_handles() -> frozenset[str]:
    """Return the handles that name an agent: read once per page, not once per note."""
    return mentions.known_handles()


@register.filter
def highlight_mentions(text: str, handles: frozenset[str]) -> SafeString:
    """Escape a note's text and mark the mentions of agents (`handles`) in it."""
    return mentions.highlight_mentions(text or "", handles or frozenset())
