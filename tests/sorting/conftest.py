"""A classifier trained once per test session, stored in each test's database as v1."""

import io

import pytest
from django.utils import timezone

from comptoir.conversations import services as conversation_services
from comptoir.conversations.models import Conversation
from comptoir.customers.models import Customer, Identity
from comptoir.sorting import classifier, services
from comptoir.sorting.models import ClassifierModel


@pytest.fixture(scope="session")
def starter_pipeline() -> bytes:
    import joblib

    fitted = classifier.fit(classifier.load_starter_set())
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer, compress=3)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def forget_loaded_classifier(monkeypatch):
    # The per-process cache would outlive each test's rolled-back database.
    monkeypatch.setattr(services, "_loaded", None)


@pytest.fixture
def trained(db, starter_pipeline) -> ClassifierModel:
    return ClassifierModel.objects.create(
        version=1,
        trained_at=timezone.now(),
        training_size=432,
        accuracy={"category": 0.8},
        pipeline=starter_pipeline,
    )


def make_request(
    *, subject: str, text: str, email: str = "paul@example.fr", language: str = "fr"
) -> Conversation:
    """Open a conversation with one message from the customer."""
    customer = Customer.objects.create(first_name="Paul")
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=email)
    conversation = conversation_services.open_conversation(customer=customer, subject=subject)
    conversation_services.add_inbound_message(
        conversation=conversation, text=text, from_address=email, language=language
    )
    return conversation
