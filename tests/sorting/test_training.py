"""Corrections by a manager: kept over predictions, and learnt by the next training."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from comptoir.sorting import services
from comptoir.sorting.models import ClassifierModel
from tests.sorting.conftest import make_request

pytestmark = pytest.mark.django_db

REQUEST = (
    "Bonjour, j'ai une question sur le parrainage : mon filleul a commandé, où sont mes points ?"
)
NEAR_IDENTICAL = (
    "Bonjour j'ai une question sur le parrainage, mon filleul a commandé : où sont mes points svp ?"
)


def test_a_correction_changes_the_prediction_of_a_similar_text_after_retrain(trained, admin_agent):
    assert services.classify_text("Parrainage", NEAR_IDENTICAL).category != "billing"
    conversation = make_request(subject="Parrainage", text=REQUEST)
    services.classify_conversation(conversation)

    services.correct_classification(
        conversation=conversation, agent=admin_agent, category="billing"
    )
    model = services.retrain()

    assert model.version == 2
    assert model.corrections == 1
    assert services.classify_text("Parrainage", NEAR_IDENTICAL).category == "billing"


def test_a_corrected_classification_is_not_overwritten_by_a_prediction(trained, admin_agent):
    conversation = make_request(subject="Parrainage", text=REQUEST)
    services.correct_classification(
        conversation=conversation, agent=admin_agent, category="other", urgency="urgent"
    )

    classification = services.classify_conversation(conversation)

    assert classification is not None
    assert (classification.category, classification.urgency) == ("other", "urgent")
    assert classification.corrected_by == admin_agent


def test_an_agent_cannot_correct(trained, agent):
    conversation = make_request(subject="Parrainage", text=REQUEST)

    with pytest.raises(PermissionDenied):
        services.correct_classification(conversation=conversation, agent=agent, category="other")


def test_an_unknown_label_is_refused(trained, admin_agent):
    conversation = make_request(subject="Parrainage", text=REQUEST)

    with pytest.raises(services.SortingError):
        services.correct_classification(
            conversation=conversation, agent=admin_agent, category="ticket"
        )


def test_train_classifier_prints_accuracy_per_target(trained, capsys):
    call_command("train_classifier")

    out = capsys.readouterr().out
    assert "classifier v2" in out
    for target in ("category", "level", "sentiment", "urgency"):
        assert target in out
    assert ClassifierModel.objects.get(version=2).accuracy["category"] > 0.6
