"""The sorting card of the conversation page, and corrections: managers only."""

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.sorting import services
from comptoir.sorting.models import ClassifierModel
from tests.sorting.conftest import make_request

pytestmark = pytest.mark.django_db

LABELS = {"category": "complaint", "level": "expert", "sentiment": "negative", "urgency": "urgent"}


@pytest.fixture
def conversation(trained):
    conversation = make_request(subject="Colis", text="Bonjour, mon colis n'est pas arrivé.")
    services.classify_conversation(conversation)
    return conversation


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_conversation_page_shows_the_classification(conversation, agent):
    response = client_for(agent).get(reverse("conversations:detail", args=[conversation.pk]))

    assert response.status_code == 200
    assert "Commande et livraison" in response.content.decode()
    # An agent sees the labels but not the correction form.
    assert reverse("sorting:correct", args=[conversation.pk]) not in response.content.decode()


def test_a_manager_sees_the_correction_form(conversation, admin_agent):
    response = client_for(admin_agent).get(reverse("conversations:detail", args=[conversation.pk]))

    assert reverse("sorting:correct", args=[conversation.pk]) in response.content.decode()


def test_a_manager_corrects_the_classification(conversation, admin_agent):
    response = client_for(admin_agent).post(
        reverse("sorting:correct", args=[conversation.pk]), LABELS
    )

    assert response.status_code == 302
    conversation.classification.refresh_from_db()
    assert conversation.classification.category == "complaint"
    assert conversation.classification.corrected_by == admin_agent


def test_an_agent_cannot_correct_the_classification(conversation, agent):
    # The outsider persona: an (outsourced) agent, not a manager.
    response = client_for(agent).post(reverse("sorting:correct", args=[conversation.pk]), LABELS)

    assert response.status_code == 403
    conversation.classification.refresh_from_db()
    assert conversation.classification.category == "order_delivery"
    assert not conversation.classification.is_corrected


def test_an_anonymous_visitor_is_sent_to_the_login(conversation):
    response = Client().post(reverse("sorting:correct", args=[conversation.pk]), LABELS)

    assert response.status_code == 302
    assert reverse("agents:login") in response["Location"]
    conversation.classification.refresh_from_db()
    assert not conversation.classification.is_corrected


def test_the_admin_retrain_button_trains_a_new_version(trained, admin_agent):
    response = client_for(admin_agent).post(reverse("admin:sorting_classifiermodel_retrain"))

    assert response.status_code == 302
    assert ClassifierModel.objects.filter(version=2).exists()


def test_an_agent_cannot_reach_the_retrain_button(trained, agent):
    response = client_for(agent).post(reverse("admin:sorting_classifiermodel_retrain"))

    assert response.status_code == 302  # to the admin login
    assert not ClassifierModel.objects.filter(version=2).exists()
