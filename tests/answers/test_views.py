"""The ready answers in the agent interface: picker, suggestions, macros, take-over, list."""

import re

import pytest
from django.urls import reverse

from comptoir.answers import services
from comptoir.answers.models import AutoAnswerRule, CannedResponse, Macro
from comptoir.conversations.models import Conversation, ConversationEvent, Tag
from comptoir.teams.models import Team
from tests.answers.conftest import make_conversation

pytestmark = pytest.mark.django_db


def answer_urls(conversation: Conversation, response: CannedResponse, macro: Macro) -> dict:
    return {
        "get": [
            reverse("answers:list"),
            reverse("answers:rendered", args=[conversation.pk, response.pk]),
            reverse("answers:suggestions", args=[conversation.pk]),
        ],
        "post": [
            reverse("answers:apply_macro", args=[conversation.pk, macro.pk]),
            reverse("answers:take_over", args=[conversation.pk]),
        ],
    }


def test_anonymous_is_sent_to_login_and_changes_nothing(client, starter_responses):
    conversation = make_conversation()
    response = starter_responses["Copie de facture"]
    macro = Macro.objects.create(name="Clore", set_status=Conversation.Status.CLOSED)
    urls = answer_urls(conversation, response, macro)

    for url in urls["get"]:
        page = client.get(url)
        assert page.status_code == 302, url
        assert page["Location"].startswith(reverse("agents:login")), url
    for url in urls["post"]:
        page = client.post(url)
        assert page.status_code == 302, url
        assert page["Location"].startswith(reverse("agents:login")), url

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW
    assert not conversation.events.exists()


def test_the_conversation_page_offers_the_picker_the_macros_and_the_suggestions(
    agent_client, starter_responses
):
    conversation = make_conversation()
    Macro.objects.create(name="Clore la demande", set_status=Conversation.Status.CLOSED)

    page = agent_client.get(reverse("conversations:detail", args=[conversation.pk]))

    html = page.content.decode()
    assert 'id="answer-picker"' in html
    assert reverse("answers:rendered", args=[conversation.pk, starter_responses["Copie de facture"].pk]) in html
    assert "Clore la demande" in html
    assert reverse("answers:suggestions", args=[conversation.pk]) in html


def test_a_picked_response_comes_back_filled_in_for_the_customer(agent_client, starter_responses):
    conversation = make_conversation()
    response = starter_responses["Copie de facture"]

    page = agent_client.get(reverse("answers:rendered", args=[conversation.pk, response.pk]))

    assert page.status_code == 200
    data = page.json()
    assert data["title"] == "Copie de facture"
    assert data["text"].startswith("Bonjour Jeanne,\n")
    assert data["text"].endswith("Camille\nService client")


def test_the_suggestions_fragment_lists_the_closest_responses(agent_client, starter_responses):
    conversation = make_conversation(text="J'ai oublié mon mot de passe.")

    page = agent_client.get(reverse("answers:suggestions", args=[conversation.pk]))

    assert page.status_code == 200
    assert "Réinitialisation du mot de passe" in page.content.decode()


def test_a_response_or_macro_of_another_team_is_out_of_reach(agent_client, billing_team):
    experts = Team.objects.create(name="Experts")
    conversation = make_conversation()
    theirs = CannedResponse.objects.create(title="Experts", body="Bonjour", team=experts)
    ours = CannedResponse.objects.create(title="Facturation", body="Bonjour", team=billing_team)
    their_macro = Macro.objects.create(name="Experts", set_status="closed", team=experts)

    assert agent_client.get(reverse("answers:rendered", args=[conversation.pk, theirs.pk])).status_code == 404
    assert agent_client.get(reverse("answers:rendered", args=[conversation.pk, ours.pk])).status_code == 200
    response = agent_client.post(reverse("answers:apply_macro", args=[conversation.pk, their_macro.pk]))
    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW
    page = agent_client.get(reverse("answers:list")).content.decode()
    assert "Facturation" in page and "Experts" not in page


def test_applying_a_macro_that_inserts_fills_the_reply_box(agent_client, starter_responses):
    conversation = make_conversation()
    tag = Tag.objects.create(name="facture")
    macro = Macro.objects.create(name="Facture", canned_response=starter_responses["Copie de facture"])
    macro.tags_to_add.add(tag)

    page = agent_client.post(reverse("answers:apply_macro", args=[conversation.pk, macro.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<textarea id="reply-text"[^>]*>Bonjour Jeanne,', html)
    assert list(conversation.tags.all()) == [tag]
    assert conversation.events.filter(kind=ConversationEvent.Kind.MACRO_APPLIED).count() == 1


def test_applying_a_macro_that_sends_redirects_to_the_conversation(agent_client, starter_responses):
    conversation = make_conversation()
    macro = Macro.objects.create(
        name="Facture envoyée",
        canned_response=starter_responses["Copie de facture"],
        response_action=Macro.ResponseAction.SEND,
        set_status=Conversation.Status.RESOLVED,
    )

    page = agent_client.post(reverse("answers:apply_macro", args=[conversation.pk, macro.pk]))

    assert page.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED


def test_take_over_is_offered_on_an_automatically_answered_conversation(agent_client, agent, starter_responses):
    AutoAnswerRule.objects.create(
        name="Factures", keywords="facture", canned_response=starter_responses["Copie de facture"]
    )
    conversation = make_conversation()
    services.answer_conversation(conversation.pk)
    detail = reverse("conversations:detail", args=[conversation.pk])
    take_over = reverse("answers:take_over", args=[conversation.pk])

    assert take_over in agent_client.get(detail).content.decode()
    page = agent_client.post(take_over)

    assert page.status_code == 302
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.status) == (agent, Conversation.Status.OPEN)
    assert take_over not in agent_client.get(detail).content.decode()


def test_the_list_of_canned_responses_is_searchable(agent_client, starter_responses):
    page = agent_client.get(reverse("answers:list") + "?q=mot de passe")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Réinitialisation du mot de passe" in html
    assert "Retard de livraison" not in html


def test_the_panel_speaks_french_to_a_french_agent(agent_client, starter_responses):
    conversation = make_conversation()

    page = agent_client.get(
        reverse("conversations:detail", args=[conversation.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    )

    html = page.content.decode()
    assert "Réponses prêtes" in html
    assert "Insérer une réponse type" in html
    assert "Réponses types" in html  # the link in the header


def test_the_demo_company_comes_with_macros_and_an_inactive_rule(db):
    from comptoir.answers.starter import load_demo_macros

    load_demo_macros()
    load_demo_macros()

    assert Macro.objects.count() == 3
    assert AutoAnswerRule.objects.get().is_active is False
    macro = Macro.objects.get(name="Facture : envoyer la copie")
    assert macro.canned_response.title == "Copie de facture"


def test_the_panel_costs_the_same_queries_however_many_answers(
    agent_client, django_assert_max_num_queries
):
    conversation = make_conversation()
    url = reverse("conversations:detail", args=[conversation.pk])
    agent_client.get(url)  # the first view is recorded once
    with django_assert_max_num_queries(40) as few:
        agent_client.get(url)
    for number in range(20):
        CannedResponse.objects.create(title=f"Réponse {number}", body="{{ salutation }}")
    for number in range(5):
        Macro.objects.create(name=f"Macro {number}", set_status="closed")
    conversation.tags.add(Tag.objects.create(name="vip"))

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = agent_client.get(url)
    assert page.content.decode().count('class="macro-menu"') == 1
