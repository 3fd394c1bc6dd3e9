"""Canned responses are user-written: placeholders reach only the values listed for them."""

import pytest
from django.conf import settings

from comptoir.answers import placeholders, services
from comptoir.answers.forms import CannedResponseForm
from comptoir.answers.models import CannedResponse
from comptoir.customers.models import Store
from tests.answers.conftest import make_conversation

pytestmark = pytest.mark.django_db


def render(body: str, conversation, agent) -> str:
    response = CannedResponse(title="Test", body=body)
    return services.render_canned_response(
        response=response, conversation=conversation, agent=agent
    )


def test_rendering_greets_the_customer_by_first_name_and_names_the_agent(agent):
    store = Store.objects.create(name="Lumière Lyon", city="Lyon", phone="04 72 00 00 00")
    conversation = make_conversation(store=store)

    text = render(
        "{{ salutation }}\nVotre dossier {{reference}} ({{ sujet }}), magasin {{ magasin }} "
        "à {{ magasin_ville }}.\n{{ conseiller }}, {{ service }}",
        conversation,
        agent,
    )

    assert text == (
        f"Bonjour Jeanne,\nVotre dossier [#{conversation.pk}] (Facture), magasin Lumière Lyon "
        f"à Lyon.\nCamille, {settings.COMPTOIR_SUPPORT_NAME}"
    )


def test_rendering_falls_back_to_bonjour_when_the_first_name_is_unknown(agent):
    conversation = make_conversation(first_name="")

    text = render("{{ salutation }}\nMerci {{ prenom }}!", conversation, agent)

    assert text == "Bonjour,\nMerci !"


def test_an_automatic_answer_is_signed_by_the_service(agent):
    conversation = make_conversation()

    assert render("{{ conseiller }}", conversation, None) == settings.COMPTOIR_SUPPORT_NAME


@pytest.mark.parametrize(
    "hostile",
    [
        "{{ settings.SECRET_KEY }}",
        "{{ SECRET_KEY }}",
        "{{ prenom.__class__ }}",
        "{{ conversation.customer.identities }}",
        "{{ prenom|upper }}",
        "{% load log %}{% get_admin_log 10 as log %}",
        "{{ ''.__class__.__mro__ }}",
    ],
)
def test_a_hostile_placeholder_is_left_as_typed(agent, hostile):
    conversation = make_conversation()

    text = render(f"Bonjour {hostile}", conversation, agent)

    assert text == f"Bonjour {hostile}"
    assert settings.SECRET_KEY not in text


def test_values_are_inserted_once_and_never_read_as_placeholders(agent):
    conversation = make_conversation(first_name="{{ reference }}")

    text = render("{{ salutation }} {{ prenom }}", conversation, agent)

    assert text == "Bonjour {{ reference }}, {{ reference }}"


def test_the_form_refuses_placeholders_that_would_not_be_replaced():
    form = CannedResponseForm(
        data={"title": "Test", "body": "{{ salutation }} {{ settings.SECRET_KEY }} {{ code }}"}
    )

    assert not form.is_valid()
    assert "{{ settings.SECRET_KEY }}" in str(form.errors["body"])
    assert "{{ code }}" in str(form.errors["body"])
    assert "{{ salutation }}" not in placeholders.find_unknown("{{ salutation }}")


def test_the_starter_responses_use_only_known_placeholders(starter_responses):
    assert len(starter_responses) >= 8
    for response in starter_responses.values():
        assert placeholders.find_unknown(response.body) == [], response.title
