"""Reads of satisfaction surveys: a conversation's surveys, a customer's answers."""

from django.db.models import QuerySet

from comptoir.conversations.models import Conversation
from comptoir.customers.models import Customer
from comptoir.surveys.models import SatisfactionSurvey


def list_conversation_surveys(conversation: Conversation) -> QuerySet[SatisfactionSurvey]:
    """Return the surveys about a conversation's resolutions, the latest first.

    The caller has already checked that the agent may see the conversation.
    """
    return conversation.satisfaction_surveys.order_by("-resolved_at", "-pk")


def list_answered_surveys(customer: Customer) -> QuerySet[SatisfactionSurvey]:
    """Return a customer's answered surveys, the latest answer first."""
    return (
        SatisfactionSurvey.objects.filter(customer=customer, answered_at__isnull=False)
        .select_related("conversation")
        .order_by("-answered_at", "-pk")
    )
