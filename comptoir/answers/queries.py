"""Reads of ready answers: what an agent may use, the suggestions for a conversation."""

from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404

from comptoir.agents.models import Agent
from comptoir.answers import suggestions
from comptoir.answers.models import AutoAnswer, AutoAnswerRule, CannedResponse, Macro
from comptoir.conversations.models import Conversation, Message
from comptoir.sorting import queries as sorting

SUGGESTIONS = 3


def usable_by(agent: Agent) -> Q:
    """Return the condition for what an agent may use: shared, or of one of their teams.
    An admin may use everything."""
    if agent.is_admin:
        return Q()
    return Q(team__isnull=True) | Q(team__memberships__agent=agent)


def list_canned_responses(agent: Agent) -> QuerySet[CannedResponse]:
    """Return the active canned responses the agent may use, by title."""
    return (
        CannedResponse.objects.filter(usable_by(agent), is_active=True)
        .select_related("team")
        .distinct()
        .order_by("title", "pk")
    )


def get_canned_response(pk: int, *, agent: Agent) -> CannedResponse:
    """Return one canned response the agent may use; raise Http404 otherwise."""
    return get_object_or_404(list_canned_responses(agent), pk=pk)


def list_macros(agent: Agent) -> QuerySet[Macro]:
    """Return the active macros the agent may apply, by name."""
    return (
        Macro.objects.filter(usable_by(agent), is_active=True)
        .select_related("canned_response", "move_to_team")
        .distinct()
        .order_by("name", "pk")
    )


def get_macro(pk: int, *, agent: Agent) -> Macro:
    """Return one macro the agent may apply; raise Http404 otherwise."""
    return get_object_or_404(list_macros(agent), pk=pk)


def find_auto_answer(conversation: Conversation) -> AutoAnswer | None:
    return AutoAnswer.objects.filter(conversation=conversation).select_related("rule").first()


def list_active_rules() -> QuerySet[AutoAnswerRule]:
    """Return the automatic-answer rules in the order they are tried."""
    return (
        AutoAnswerRule.objects.filter(is_active=True, canned_response__is_active=True)
        .select_related("canned_response")
        .order_by("position", "pk")
    )


def find_latest_customer_text(conversation: Conversation) -> str:
    """Return the subject and the new text of the customer's latest message."""
    latest = (
        conversation.messages.filter(direction=Message.Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .values_list("reply_text", "text")
        .first()
    )
    body = (latest[0] or latest[1]) if latest else ""
    return f"{conversation.subject}\n{body}".strip()


def load_documents() -> list[suggestions.Document]:
    return [
        suggestions.Document(pk=pk, title=title, body=body, category=category)
        for pk, title, body, category in CannedResponse.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "title", "body", "category")
    ]


def list_suggested_responses(
    conversation: Conversation, *, agent: Agent, limit: int = SUGGESTIONS
) -> list[CannedResponse]:
    """Return the canned responses closest to the customer's latest message, best first."""
    text = find_latest_customer_text(conversation)
    if not text:
        return []
    state = CannedResponse.objects.filter(is_active=True).aggregate(
        count=Count("pk"), updated=Max("updated_at")
    )
    index = suggestions.get_index((state["count"], state["updated"]), load_documents)
    if index is None:
        return []
    classification = sorting.find_classification(conversation)
    ranked = suggestions.rank(
        index, text, category=classification.category if classification else ""
    )
    usable = {response.pk: response for response in list_canned_responses(agent)}
    best = [usable[document.pk] for document, _ in ranked if document.pk in usable]
    return best[:limit]
