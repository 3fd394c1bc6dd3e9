from django import template

from comptoir.agents.models import Agent
from comptoir.answers import queries
from comptoir.answers.models import AutoAnswer, CannedResponse, Macro
from comptoir.conversations.models import Conversation

register = template.Library()


@register.simple_tag
def usable_canned_responses(agent: Agent) -> list[CannedResponse]:
    return list(queries.list_canned_responses(agent))


@register.simple_tag
def usable_macros(agent: Agent) -> list[Macro]:
    return list(queries.list_macros(agent))


@register.simple_tag
def conversation_auto_answer(conversation: Conversation) -> AutoAnswer | None:
    return queries.find_auto_answer(conversation)
