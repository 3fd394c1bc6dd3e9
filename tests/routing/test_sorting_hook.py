"""Routing follows sorting: a classified conversation is routed; a correction re-routes it."""

import pytest
from django.urls import reverse

from comptoir.conversations.models import ConversationEvent
from comptoir.routing.models import RoutingRule
from comptoir.sorting import services as sorting
from comptoir.teams.models import Team
from tests.routing.conftest import make_agent
from tests.sorting.conftest import (  # noqa: F401 (fixtures)
    forget_loaded_classifier,
    make_request,
    starter_pipeline,
    trained,
)

# The classifier trained once per session (tests/sorting/conftest.py), as v1 in each test.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("trained")]


def test_the_sorting_sweep_routes_what_it_classified(default_team, experts):
    rule = RoutingRule.objects.create(name="Facturation", category="billing", team=experts)
    conversation = make_request(
        subject="Remboursement",
        text="Bonjour, je n'ai toujours pas reçu le remboursement de mon retour.",
    )

    assert sorting.classify_pending_conversations() == 1

    conversation.refresh_from_db()
    assert conversation.classification.category == "billing"
    assert conversation.team == experts
    event = conversation.events.get(kind=ConversationEvent.Kind.ROUTED)
    assert event.data == {"rule": rule.pk, "team": experts.pk}


def test_classifying_one_conversation_routes_it_and_assigns_it(default_team):
    support = Team.objects.create(
        name="Support technique", assignment_mode=Team.AssignmentMode.LEAST_LOADED
    )
    RoutingRule.objects.create(name="Technique", category="technical_problem", team=support)
    technician = make_agent("tess", teams=[support])
    conversation = make_request(
        subject="Mot de passe", text="Je ne reçois pas le mail de réinitialisation du mot de passe."
    )

    sorting.classify_conversation(conversation)

    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (support, technician)


def test_a_managers_correction_reroutes_the_conversation(
    client, admin_agent, default_team, experts, teammate
):
    RoutingRule.objects.create(name="Experts", level="expert", team=experts)
    conversation = make_request(subject="Colis", text="Bonjour, où est mon colis ?")
    sorting.classify_pending_conversations()
    conversation.refresh_from_db()
    assert conversation.team == default_team

    client.force_login(admin_agent)
    client.post(
        reverse("sorting:correct", args=[conversation.pk]),
        {"category": "order_delivery", "level": "expert", "sentiment": "neutral", "urgency": "normal"},
    )

    conversation.refresh_from_db()
    assert conversation.team == experts
    event = conversation.events.filter(kind=ConversationEvent.Kind.ROUTED).last()
    assert event.actor == admin_agent
    assert event.data["previous_team"] == default_team.pk
