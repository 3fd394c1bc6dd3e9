"""The reply box shows the quality gate's findings while the agent types."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.conversations.test_views import make_conversation

pytestmark = pytest.mark.django_db


def test_findings_of_the_typed_reply_are_shown(client: Client, agent):
    conversation = make_conversation()
    client.force_login(agent)
    url = reverse("conversations:check_reply", args=[conversation.pk])
    response = client.post(url, {"text": "Bonjour,\n\nMalheureusement votre colis est en retart."})
    assert response.status_code == 200
    text = response.content.decode()
    assert "retart" in text  # spelling
    assert "malheureusement" in text  # the tone charter's words to avoid
    assert "Bonjour," in text  # greeting without the first name


def test_a_good_reply_shows_nothing(client: Client, agent):
    conversation = make_conversation()
    client.force_login(agent)
    url = reverse("conversations:check_reply", args=[conversation.pk])
    good = "Bonjour Paul,\n\nVotre colis est reparti ce matin.\n\nBelle journée,\nCamille"
    assert "<li" not in client.post(url, {"text": good}).content.decode()


def test_the_check_needs_a_login(client: Client):
    conversation = make_conversation()
    response = client.post(
        reverse("conversations:check_reply", args=[conversation.pk]), {"text": "x"}
    )
    assert response.status_code == 302
