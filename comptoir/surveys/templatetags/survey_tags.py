from django import template

from comptoir.conversations.models import Conversation
from comptoir.surveys import queries
from comptoir.surveys.models import SatisfactionSurvey

register = template.Library()


@register.simple_tag
def conversation_surveys(conversation: Conversation) -> list[SatisfactionSurvey]:
    """Return the surveys about the conversation's resolutions, the latest first."""
    return list(queries.list_conversation_surveys(conversation))
