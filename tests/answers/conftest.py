"""Factories of ready-answer tests: a conversation, teams, the starter responses."""

import pytest
from django.test import Client

from comptoir.answers.models import CannedResponse
from comptoir.answers.starter import load_starter_set
from comptoir.conversations import services
from comptoir.conversations.models import Conversation
from comptoir.customers.models import Customer, Identity, Store
from comptoir.teams.models import Membership, Team

# A classifier trained once per session, as the sorting tests have it.
from tests.sorting.conftest import (  # noqa: F401
    forget_loaded_classifier,
    starter_pipeline,
    trained,
)


def make_conversation(
    *,
    subject: str = "Facture",
    text: str = "Bonjour, pouvez-vous m'envoyer ma facture ?",
    first_name: str = "Jeanne",
    email: str = "jeanne@example.fr",
    store: Store | None = None,
) -> Conversation:
    customer = Customer.objects.create(first_name=first_name, last_name="Martin", store=store)
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=email)
    conversation = services.open_conversation(customer=customer, subject=subject)
    services.add_inbound_message(conversation=conversation, text=text, from_address=email)
    return conversation


@pytest.fixture
def starter_responses(db) -> dict[str, CannedResponse]:
    load_starter_set(CannedResponse)
    return {r.title: r for r in CannedResponse.objects.filter(team__isnull=True)}


@pytest.fixture
def teammate(db):
    from comptoir.agents.models import Agent

    return Agent.objects.create_user(
        username="sacha", password="motdepasse-agent-2", first_name="Sacha", role="agent"
    )


@pytest.fixture
def billing_team(db, agent) -> Team:
    team = Team.objects.create(name="Facturation")
    Membership.objects.create(team=team, agent=agent)
    return team


@pytest.fixture
def agent_client(client: Client, agent) -> Client:
    client.force_login(agent)
    return client
