"""Teams, personas and classified conversations for the routing tests.

Personas: `agent` (the company's own service, no team), `teammate` (a member of the experts
team), `outsider` (an agent of the outsourced level-1 team: sees only what is routed to it).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.conversations import services as conversation_services
from comptoir.conversations.models import Conversation
from comptoir.customers.models import Customer, Identity
from comptoir.sorting.models import Classification
from comptoir.teams.models import Membership, Team
from comptoir.teams.services import ensure_default_team


@pytest.fixture
def default_team(db) -> Team:
    return ensure_default_team()


@pytest.fixture
def experts(db) -> Team:
    return Team.objects.create(name="Experts")


@pytest.fixture
def outsourced_team(db) -> Team:
    return Team.objects.create(name="Niveau 1 externe", is_outsourced=True)


def make_agent(username: str, *, teams: list[Team] = (), online: bool = True, **fields) -> Agent:  # type: ignore[assignment]
    agent = Agent.objects.create_user(
        username=username, password=f"motdepasse-{username}-1", first_name=username.title(), **fields
    )
    for team in teams:
        Membership.objects.create(team=team, agent=agent)
    if online:
        Agent.objects.filter(pk=agent.pk).update(last_seen_at=timezone.now())
        agent.refresh_from_db()
    return agent


@pytest.fixture
def teammate(experts) -> Agent:
    return make_agent("sacha", teams=[experts])


@pytest.fixture
def outsider(outsourced_team) -> Agent:
    return make_agent("olivier", teams=[outsourced_team])


def make_classified_conversation(
    *,
    subject: str = "Colis abîmé",
    text: str = "Bonjour, mon colis est arrivé abîmé.",
    category: str = "order_delivery",
    level: str = "1",
    channel: str = Conversation.Channel.EMAIL,
    customer: Customer | None = None,
    email: str = "paul@example.fr",
) -> Conversation:
    """A conversation with one message from the customer and its classification, not routed."""
    if customer is None:
        customer = Customer.objects.create(first_name="Paul", last_name="Durand")
        Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=email)
    conversation = conversation_services.open_conversation(
        customer=customer, subject=subject, channel=channel
    )
    conversation_services.add_inbound_message(
        conversation=conversation, text=text, from_address=email
    )
    Classification.objects.create(
        conversation=conversation,
        category=category,
        level=level,
        sentiment="neutral",
        urgency="normal",
        predicted_at=timezone.now(),
    )
    return conversation


def gone(agent: Agent) -> None:
    """Make the agent last seen long ago: not online any more."""
    Agent.objects.filter(pk=agent.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
