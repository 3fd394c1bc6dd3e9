"""`comptoir classify FILE --json` on French customer emails."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from comptoir.sorting.models import ClassifierModel
from tests.conftest import make_email

pytestmark = pytest.mark.django_db


def classify(tmp_path, subject: str, body: str) -> dict[str, object]:
    path = tmp_path / "request.eml"
    path.write_bytes(make_email(subject=subject, body=body))
    out = StringIO()
    call_command("classify", str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("subject", "body", "category"),
    [
        (
            "Double prélèvement",
            "Bonjour,\n\nJ'ai été prélevée deux fois de 59,90 € pour la même commande. "
            "Merci de rembourser le doublon.\n\nJeanne",
            "billing",
        ),
        (
            "Colis non reçu",
            "Bonjour,\n\nMon colis Colissimo n'est toujours pas arrivé, le suivi est bloqué "
            "depuis une semaine. Commande 40412.\n\nJeanne",
            "order_delivery",
        ),
        (
            "Connexion impossible",
            "Bonjour, je n'arrive plus à me connecter à l'appli, le mot de passe est refusé "
            "et je ne reçois pas le mail de réinitialisation.",
            "technical_problem",
        ),
        (
            "Réclamation",
            "Madame, Monsieur, c'est la troisième fois que je vous écris sans réponse. C'est "
            "inadmissible, je suis extrêmement déçue par votre service client.",
            "complaint",
        ),
    ],
)
def test_clear_french_requests_get_their_category(trained, tmp_path, subject, body, category):
    result = classify(tmp_path, subject, body)

    assert result["category"] == category
    assert result["language"] == "fr"


def test_json_keeps_the_four_contract_keys(trained, tmp_path):
    result = classify(tmp_path, "Mise en demeure", "Je vous mets en demeure de me rembourser.")

    assert {"category", "level", "language", "sentiment"} <= set(result)
    assert result["level"] in {"1", "expert"}
    assert result["sentiment"] in {"negative", "neutral", "positive"}
    assert result["urgency"] == "urgent"


def test_first_classification_trains_from_the_starter_set(tmp_path):
    assert not ClassifierModel.objects.exists()

    result = classify(tmp_path, "Facture", "Bonjour, pouvez-vous m'envoyer ma facture ?")

    model = ClassifierModel.objects.get()
    assert result["model_version"] == model.version == 1
    assert model.training_size >= 300
    assert set(model.accuracy) == {"category", "level", "sentiment", "urgency"}
