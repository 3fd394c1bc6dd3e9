from django import template

from comptoir.conversations.models import Conversation
from comptoir.sorting import queries
from comptoir.sorting.forms import CorrectionForm
from comptoir.sorting.models import Classification

register = template.Library()


@register.simple_tag
def conversation_classification(conversation: Conversation) -> Classification | None:
    """Return the conversation's classification, or None while it has none."""
    return queries.find_classification(conversation)


@register.simple_tag
def correction_form(classification: Classification | None) -> CorrectionForm:
    """Return the correction form, filled with the current labels."""
    if classification is None:
        return CorrectionForm()
    return CorrectionForm(
        initial={
            "category": classification.category,
            "level": classification.level,
            "sentiment": classification.sentiment,
            "urgency": classification.urgency,
        }
    )
