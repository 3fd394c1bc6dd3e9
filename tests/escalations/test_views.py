"""Forward pages and actions through the test client: agent, teammate, anonymous, outsider."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.escalations import queries, services
from comptoir.escalations.models import ForwardRequest
from comptoir.teams.models import Team
from tests.conftest import make_email
from tests.escalations.conftest import ingest

pytestmark = pytest.mark.django_db

Event = ConversationEvent.Kind


@pytest.fixture
def agent_client(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


@pytest.fixture
def teammate_client(teammate) -> Client:
    client = Client()
    client.force_login(teammate)
    return client


@pytest.fixture
def level_one(conversation, agent) -> Team:
    """The conversation sits with level 1, assigned to the agent."""
    team = Team.objects.create(name="Niveau 1")
    Conversation.objects.filter(pk=conversation.pk).update(team=team, assignee=agent)
    conversation.refresh_from_db()
    return team


def forward_to_team(client: Client, conversation: Conversation, team: Team, **extra) -> object:
    return client.post(
        reverse("escalations:forward", args=[conversation.pk]),
        {
            "target": f"team:{team.pk}",
            "question": "Peut-on rembourser les frais de port ?",
            **extra,
        },
    )


# --- Team target -------------------------------------------------------------------------


def test_forward_to_a_team_hands_the_conversation_over_unassigned(
    agent_client, conversation, experts, level_one
):
    response = forward_to_team(agent_client, conversation, experts)

    assert response.status_code == 302
    forward = ForwardRequest.objects.get()
    assert response["Location"].endswith(f"#forward-{forward.pk}")
    conversation.refresh_from_db()
    assert conversation.team == experts and conversation.assignee is None
    assert forward.target == ForwardRequest.Target.TEAM and forward.sent_message is None
    holder = queries.find_holder(conversation)
    assert (holder.kind, holder.name, holder.since) == ("team", "Experts", forward.created_at)
    event = ConversationEvent.objects.get(kind=Event.FORWARDED)
    assert event.data == {"target": "team", "request": forward.pk, "team": experts.pk}


def test_teammate_answers_the_request_and_the_conversation_goes_back(
    agent, agent_client, teammate, teammate_client, conversation, experts, level_one
):
    forward_to_team(agent_client, conversation, experts)
    forward = ForwardRequest.objects.get()

    response = teammate_client.post(
        reverse("escalations:answer", args=[forward.pk]), {"text": "Oui, geste commercial accordé."}
    )

    assert response.status_code == 302
    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.ANSWERED
    assert forward.answered_by == teammate
    assert forward.answer.direction == Message.Direction.INTERNAL
    assert forward.answer.text == "Oui, geste commercial accordé."
    conversation.refresh_from_db()
    assert conversation.team == level_one and conversation.assignee == agent
    kinds = list(
        ConversationEvent.objects.filter(conversation=conversation).values_list("kind", flat=True)
    )
    assert kinds[-3:] == [Event.FORWARDED, Event.FORWARD_ANSWERED, Event.ASSIGNED]
    assert list(queries.list_answers_to_read(agent)) == [forward]
    assert queries.find_holder(conversation).name == str(agent)


def test_an_answered_request_cannot_be_answered_again(
    agent_client, teammate_client, conversation, experts, level_one
):
    forward_to_team(agent_client, conversation, experts)
    forward = ForwardRequest.objects.get()
    url = reverse("escalations:answer", args=[forward.pk])
    teammate_client.post(url, {"text": "Oui."})
    teammate_client.post(url, {"text": "Non, finalement."})

    assert conversation.messages.filter(direction=Message.Direction.INTERNAL).count() == 1
    assert ConversationEvent.objects.filter(kind=Event.FORWARD_ANSWERED).count() == 1


def test_cancelling_a_team_forward_hands_the_conversation_back(
    agent, agent_client, conversation, experts, level_one
):
    forward_to_team(agent_client, conversation, experts)
    forward = ForwardRequest.objects.get()

    agent_client.post(reverse("escalations:cancel", args=[forward.pk]))

    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.CANCELLED and forward.cancelled_by == agent
    conversation.refresh_from_db()
    assert conversation.team == level_one and conversation.assignee == agent


def test_a_second_team_forward_waits_for_the_first(agent_client, conversation, experts, level_one):
    forward_to_team(agent_client, conversation, experts)
    billing = Team.objects.create(name="Facturation")
    forward_to_team(agent_client, conversation, billing)

    assert ForwardRequest.objects.count() == 1
    conversation.refresh_from_db()
    assert conversation.team == experts


def test_reading_an_answer_takes_it_off_the_list(
    agent, agent_client, teammate_client, conversation, experts, level_one
):
    forward_to_team(agent_client, conversation, experts)
    forward = ForwardRequest.objects.get()
    teammate_client.post(reverse("escalations:answer", args=[forward.pk]), {"text": "Oui."})

    response = agent_client.post(reverse("escalations:read", args=[forward.pk]), {"next": "list"})

    assert response["Location"] == reverse("escalations:list")
    assert not queries.list_answers_to_read(agent).exists()


# --- Pages -------------------------------------------------------------------------------


def test_conversation_page_shows_the_holder_and_the_requests(
    agent_client, conversation, experts, logistics, level_one
):
    services.forward_conversation(
        conversation=conversation, to=logistics, question="Où est le colis ?", by=None
    )
    page = agent_client.get(reverse("conversations:detail", args=[conversation.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="holder holder-internal_service"' in html
    assert "Logistique" in html and "Où est le colis ?" in html
    assert reverse("escalations:forward", args=[conversation.pk]) in html
    assert f'value="team:{experts.pk}"' in html and f'value="service:{logistics.pk}"' in html


def test_open_requests_list_oldest_first_in_a_fixed_number_of_queries(
    agent, agent_client, logistics, experts, django_assert_max_num_queries
):
    now = timezone.now()
    for number in range(5):
        conversation = ingest(
            make_email(message_id=f"<list-{number}@example.fr>", subject=f"Commande {number}")
        ).conversation
        forward = services.forward_conversation(
            conversation=conversation,
            to=logistics,
            question=f"Question {number}",
            by=agent,
            due_at=now - timedelta(hours=1) if number == 2 else None,
        )
        ForwardRequest.objects.filter(pk=forward.pk).update(
            created_at=now - timedelta(hours=number)
        )

    agent_client.get(reverse("escalations:list"))  # the first page also notes presence
    with django_assert_max_num_queries(7):  # 6, and the agent's teams (is he an outsider?)
        page = agent_client.get(reverse("escalations:list"))

    html = page.content.decode()
    positions = [html.index(f"Commande {number}") for number in (4, 3, 2, 1, 0)]
    assert positions == sorted(positions)
    assert html.count('class="forward overdue"') == 1


def test_forward_with_an_unknown_target_is_refused(agent_client, conversation):
    response = agent_client.post(
        reverse("escalations:forward", args=[conversation.pk]),
        {"target": "team:999999", "question": "?"},
    )
    assert response.status_code == 302
    assert not ForwardRequest.objects.exists()


# --- Anonymous and outsider --------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_changes_nothing(client, conversation, experts, agent):
    forward = services.forward_conversation(
        conversation=conversation, to=experts, question="?", by=agent
    )
    login = reverse("agents:login")
    assert client.get(reverse("escalations:list"))["Location"].startswith(login)
    for url, data in [
        (
            reverse("escalations:forward", args=[conversation.pk]),
            {"target": f"team:{experts.pk}", "question": "?"},
        ),
        (reverse("escalations:answer", args=[forward.pk]), {"text": "Oui."}),
        (reverse("escalations:cancel", args=[forward.pk]), {}),
        (reverse("escalations:read", args=[forward.pk]), {}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(login), url
    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.WAITING
    assert ForwardRequest.objects.count() == 1


def test_outsider_cannot_reach_forwards_of_hidden_conversations(
    outsider, conversation, experts, logistics, agent
):
    forward = services.forward_conversation(
        conversation=conversation, to=experts, question="Secret ?", by=agent
    )
    client = Client()
    client.force_login(outsider)

    for url, data in [
        (
            reverse("escalations:forward", args=[conversation.pk]),
            {"target": f"service:{logistics.pk}", "question": "?"},
        ),
        (reverse("escalations:answer", args=[forward.pk]), {"text": "Oui."}),
        (reverse("escalations:cancel", args=[forward.pk]), {}),
        (reverse("escalations:read", args=[forward.pk]), {}),
    ]:
        assert client.post(url, data).status_code == 404, url
    page = client.get(reverse("escalations:list"))
    assert page.status_code == 200 and "Secret ?" not in page.content.decode()
    forward.refresh_from_db()
    assert forward.status == ForwardRequest.Status.WAITING
    assert ForwardRequest.objects.count() == 1


def test_a_new_customer_email_still_reopens_while_a_forward_waits(conversation, agent, logistics):
    """The forward changes nothing to the customer's side of the conversation."""
    services.forward_conversation(conversation=conversation, to=logistics, question="?", by=agent)
    conversations.change_status(conversation=conversation, status=Conversation.Status.WAITING)
    again = ingest(
        make_email(message_id="<again@example.fr>", headers={"In-Reply-To": "<abc123@example.fr>"})
    )
    assert again.conversation == conversation and again.direction == Message.Direction.INBOUND
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN


def test_pages_speak_french_to_a_french_agent(agent_client, conversation, logistics):
    services.forward_conversation(conversation=conversation, to=logistics, question="?", by=None)
    agent_client.cookies["django_language"] = "fr"

    html = agent_client.get(
        reverse("conversations:detail", args=[conversation.pk])
    ).content.decode()
    assert "Entre les mains de" in html and "En attente du service" in html
    assert "Demandes internes" in html  # the navigation link
    listing = agent_client.get(reverse("escalations:list")).content.decode()
    assert "En attente des services internes et des équipes" in listing


def test_admin_lists_internal_services_and_shows_requests_read_only(
    client, admin_agent, conversation, logistics, agent
):
    services.forward_conversation(conversation=conversation, to=logistics, question="?", by=agent)
    client.force_login(admin_agent)

    assert client.get("/admin/escalations/internalservice/add/").status_code == 200
    listing = client.get("/admin/escalations/forwardrequest/")
    assert listing.status_code == 200 and "Logistique" in listing.content.decode()
    assert client.get("/admin/escalations/forwardrequest/add/").status_code == 403
