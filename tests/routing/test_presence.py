"""Presence: agents are seen as they use Comptoir and switch between available and away."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.routing.presence import ONLINE_WINDOW, is_online

pytestmark = pytest.mark.django_db


def test_an_agent_is_seen_when_loading_a_page_at_most_once_a_minute(client, agent):
    client.force_login(agent)
    client.get(reverse("conversations:inbox"))
    first_seen = Agent.objects.get(pk=agent.pk).last_seen_at
    assert first_seen is not None and is_online(Agent.objects.get(pk=agent.pk), timezone.now())

    client.get(reverse("conversations:inbox"))
    assert Agent.objects.get(pk=agent.pk).last_seen_at == first_seen

    Agent.objects.filter(pk=agent.pk).update(last_seen_at=first_seen - timedelta(minutes=2))
    client.get(reverse("conversations:inbox"))
    assert Agent.objects.get(pk=agent.pk).last_seen_at > first_seen


def test_an_agent_not_seen_lately_or_away_is_not_online(agent):
    now = timezone.now()
    agent.last_seen_at = now - ONLINE_WINDOW - timedelta(seconds=1)
    assert not is_online(agent, now)
    agent.last_seen_at = now
    agent.availability = Agent.Availability.AWAY
    assert not is_online(agent, now)


def test_the_agent_switches_to_away_and_back_from_the_header(client, agent):
    client.force_login(agent)
    inbox = client.get(reverse("conversations:inbox")).content.decode()
    assert reverse("routing:availability") in inbox

    response = client.post(
        reverse("routing:availability"), {"availability": "away", "next": "/?view=mine"}
    )
    assert response.status_code == 302 and response["Location"] == "/?view=mine"
    assert Agent.objects.get(pk=agent.pk).availability == Agent.Availability.AWAY
    assert 'name="availability" value="available"' in client.get("/").content.decode()

    client.post(reverse("routing:availability"), {"availability": "available"})
    assert Agent.objects.get(pk=agent.pk).availability == Agent.Availability.AVAILABLE


def test_the_availability_switch_refuses_unknown_values_and_foreign_redirects(client, agent):
    client.force_login(agent)
    assert client.post(reverse("routing:availability"), {"availability": "asleep"}).status_code == 400
    response = client.post(
        reverse("routing:availability"),
        {"availability": "away", "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_an_anonymous_visitor_cannot_switch_availability(client):
    response = client.post(reverse("routing:availability"), {"availability": "away"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("agents:login"))
