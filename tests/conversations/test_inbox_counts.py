"""The inbox counts up to a cap: a tab and the page count say "N+" past it."""

import pytest
from django.urls import reverse

from comptoir.conversations import queries
from comptoir.conversations.queries import InboxView
from tests.conversations.test_views import make_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def test_tab_counts_stop_at_the_cap(agent, monkeypatch):
    for n in range(4):
        make_conversation(subject=f"Demande {n}", email=f"c{n}@example.fr")
    assert queries.count_inbox_views(agent)[InboxView.OPEN] == 4
    assert queries.count_inbox_views(agent, cap=3)[InboxView.OPEN] == 3


def test_inbox_says_more_past_the_cap(agent_client, monkeypatch):
    for n in range(4):
        make_conversation(subject=f"Demande {n}", email=f"c{n}@example.fr")
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    monkeypatch.setattr("comptoir.conversations.views.PAGE_SIZE", 2)
    response = agent_client.get(reverse("conversations:inbox") + "?view=open")
    html = response.content.decode()
    assert '<span class="count">3+</span>' in html
    assert "2+" in html  # Page 1 of 2+
    assert len(response.context["page"].object_list) == 2


def test_inbox_counts_exactly_under_the_cap(agent_client):
    for n in range(3):
        make_conversation(subject=f"Demande {n}", email=f"c{n}@example.fr")
    response = agent_client.get(reverse("conversations:inbox") + "?view=open")
    assert '<span class="count">3</span>' in response.content.decode()
    assert response.context["page"].paginator.count == 3
