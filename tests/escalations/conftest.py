import pytest

from comptoir.conversations.models import Conversation
from comptoir.escalations.models import InternalService
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.teams.models import Team
from tests.conftest import make_email
from tests.smtp_sink import smtp_sink  # noqa: F401 (fixture)


def ingest(raw: bytes):
    return process_inbound_email(receive_raw_email(raw, source="test").inbound.pk)


@pytest.fixture
def logistics(db) -> InternalService:
    return InternalService.objects.create(name="Logistique", email="logistique@shop.example")


@pytest.fixture
def experts(db) -> Team:
    return Team.objects.create(name="Experts")


@pytest.fixture
def conversation(db, settings) -> Conversation:
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = False
    return ingest(make_email()).conversation


@pytest.fixture
def teammate(db):
    from comptoir.agents.models import Agent

    return Agent.objects.create_user(
        username="sacha", password="motdepasse-agent-2", first_name="Sacha", role="agent"
    )


@pytest.fixture
def outsider(db, monkeypatch):
    """An outsourced level-1 agent, from whom the gate hides these conversations.

    The gate's own rule is built elsewhere; here it hides everything from this agent, which
    is what it must do for conversations outside the outsider's work.
    """
    from comptoir.agents.models import Agent
    from comptoir.conversations import queries

    outsider = Agent.objects.create_user(
        username="externe", password="motdepasse-agent-3", first_name="Alex", role="agent"
    )
    gate = queries.visible_conversations
    monkeypatch.setattr(
        queries,
        "visible_conversations",
        lambda agent: gate(agent).none() if agent.pk == outsider.pk else gate(agent),
    )
    return outsider
