from dataclasses import dataclass

from django import template

from comptoir.conversations.models import Conversation
from comptoir.escalations import queries
from comptoir.escalations.forms import AnswerForm, ForwardForm
from comptoir.escalations.models import ForwardRequest

register = template.Library()


@dataclass
class ForwardCard:
    holder: queries.Holder
    forwards: list[ForwardRequest]
    forward_form: ForwardForm
    answer_form: AnswerForm


@register.simple_tag
def forward_card(conversation: Conversation) -> ForwardCard:
    """Return what the conversation page shows of forwards: holder, requests, forms."""
    forwards = list(queries.list_forwards(conversation))
    return ForwardCard(
        holder=queries.find_holder(conversation, forwards),
        forwards=forwards,
        forward_form=ForwardForm(),
        answer_form=AnswerForm(),
    )
