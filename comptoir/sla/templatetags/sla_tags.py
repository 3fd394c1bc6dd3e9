from django import template
from django.utils import timezone

from comptoir.conversations.models import Conversation
from comptoir.sla.display import describe_due

register = template.Library()


@register.inclusion_tag("sla/due.html")
def sla_due(conversation: Conversation) -> dict[str, object]:
    """Show the conversation's next due time, relative to now and coloured by urgency."""
    return {"due": describe_due(conversation, timezone.now()), "conversation": conversation}
