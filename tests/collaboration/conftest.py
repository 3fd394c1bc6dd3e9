"""Personas and helpers of the collaboration tests: agent Camille, teammate Claire, and an
outsider (an outsourced agent the conversations gate hides a conversation from)."""

import pytest
from django.db.models import QuerySet

from comptoir.agents.models import Agent
from comptoir.conversations import queries as conversations
from comptoir.conversations.models import Conversation
from tests.conversations.test_views import make_conversation

__all__ = ["make_conversation"]


@pytest.fixture
def teammate(db) -> Agent:
    return Agent.objects.create_user(
        username="claire",
        password="motdepasse-claire-1",
        first_name="Claire",
        last_name="Martin",
        email="claire@shop.example",
        role="agent",
    )


@pytest.fixture
def outsider(db) -> Agent:
    return Agent.objects.create_user(
        username="olivier",
        password="motdepasse-olivier-1",
        first_name="Olivier",
        email="olivier@prestataire.example",
        role="agent",
    )


@pytest.fixture
def hidden_from_outsider(monkeypatch, outsider):
    """Hide the conversations given to this fixture from the outsider, through the one gate.

    The rule that restricts an outsourced team is another part of the project; this stands
    in for it so that the tests show every collaboration read goes through the gate.
    """
    hidden: set[int] = set()
    gate = conversations.visible_conversations

    def visible_conversations(agent: Agent) -> QuerySet[Conversation]:
        visible = gate(agent)
        return visible.exclude(pk__in=hidden) if agent.pk == outsider.pk else visible

    monkeypatch.setattr(conversations, "visible_conversations", visible_conversations)
    return hidden
