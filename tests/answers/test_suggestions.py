"""Suggested answers rank the obvious canned response first for common French requests."""

import pytest

from comptoir.answers import queries, suggestions
from comptoir.answers.models import CannedResponse
from comptoir.conversations import services
from tests.answers.conftest import make_conversation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        (
            "Commande pas arrivée",
            "Bonjour, j'attends ma commande depuis trois semaines, elle est très en retard.",
            "Retard de livraison",
        ),
        (
            "Facture",
            "Pourriez-vous m'envoyer une copie de la facture de ma dernière commande ?",
            "Copie de facture",
        ),
        (
            "Connexion impossible",
            "J'ai oublié mon mot de passe et je n'arrive plus à me connecter à mon compte.",
            "Réinitialisation du mot de passe",
        ),
        (
            "Retour",
            "Je souhaite retourner la lampe, elle ne me plaît pas. Serai-je remboursée ?",
            "Retour et remboursement",
        ),
        (
            "Verre cassé",
            "Ma suspension est arrivée abimée, le verre est brisé.",
            "Produit arrivé endommagé",
        ),
        (
            "Horaires",
            "Quels sont les horaires d'ouverture de mon magasin ?",
            "Horaires et coordonnées du magasin",
        ),
    ],
)
def test_the_obvious_response_is_suggested_first(agent, starter_responses, subject, text, expected):
    conversation = make_conversation(subject=subject, text=text)

    suggested = queries.list_suggested_responses(conversation, agent=agent)

    assert 1 <= len(suggested) <= 3
    assert suggested[0].title == expected


def test_suggestions_follow_the_latest_customer_message(agent, starter_responses):
    conversation = make_conversation(subject="", text="Où est ma facture ?")
    services.add_inbound_message(
        conversation=conversation,
        text="Finalement, j'ai oublié mon mot de passe, comment le réinitialiser ?",
        from_address="jeanne@example.fr",
    )

    suggested = queries.list_suggested_responses(conversation, agent=agent)

    assert suggested[0].title == "Réinitialisation du mot de passe"


def test_the_fitted_index_is_kept_until_a_response_changes(agent, starter_responses):
    conversation = make_conversation(text="Je voudrais une copie de ma facture.")
    queries.list_suggested_responses(conversation, agent=agent)
    fitted = suggestions._index

    queries.list_suggested_responses(conversation, agent=agent)
    assert suggestions._index is fitted

    response = starter_responses["Copie de facture"]
    response.title = "Duplicata de facture"
    response.save()
    suggested = queries.list_suggested_responses(conversation, agent=agent)
    assert suggestions._index is not fitted
    assert suggested[0].title == "Duplicata de facture"


def test_a_response_of_another_team_is_not_suggested(agent, starter_responses):
    from comptoir.teams.models import Team

    other = Team.objects.create(name="Experts")
    CannedResponse.objects.create(
        title="Facture détaillée experts",
        body="Copie de facture détaillée pour les experts, facture facture.",
        team=other,
    )
    conversation = make_conversation(text="Je voudrais une copie de ma facture.")

    suggested = queries.list_suggested_responses(conversation, agent=agent)

    assert all(response.team_id is None for response in suggested)


def test_no_suggestion_without_responses(agent):
    CannedResponse.objects.all().delete()
    conversation = make_conversation()

    assert queries.list_suggested_responses(conversation, agent=agent) == []
