"""The worker's sweep classifies new conversations; the classifier is cached per process."""

import pytest

from comptoir.conversations import services as conversation_services
from comptoir.core.management.commands.worker import periodic_jobs
from comptoir.customers.models import Customer
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.sorting import services
from comptoir.sorting.models import Classification
from comptoir.sorting.tasks import classify_conversation_task, classify_pending_conversations_task
from tests.conftest import make_email
from tests.sorting.conftest import make_request

pytestmark = pytest.mark.django_db


def test_the_sweep_classifies_a_new_email_conversation(trained):
    received = receive_raw_email(
        make_email(
            subject="Remboursement",
            body="Bonjour, je n'ai toujours pas reçu le remboursement de mon retour.",
        ),
        source="test",
    )
    message = process_inbound_email(received.inbound.pk)
    assert message is not None

    classify_pending_conversations_task.enqueue()

    classification = Classification.objects.get(conversation=message.conversation)
    assert classification.category == "billing"
    assert classification.language == "fr"
    assert classification.model_version == 1


def test_the_sweep_skips_conversations_without_a_customer_message(trained):
    customer = Customer.objects.create(first_name="Paul")
    conversation_services.open_conversation(customer=customer, subject="Rappel")

    assert services.classify_pending_conversations() == 0


def test_the_sweep_takes_a_batch_in_a_fixed_number_of_queries(
    trained, django_assert_max_num_queries
):
    for number in range(5):
        make_request(
            subject=f"Colis {number}",
            text="Bonjour, mon colis n'est pas arrivé.",
            email=f"client{number}@example.fr",
        )
    services.get_classifier()  # loading the model is one query more, once per process

    # 4 to classify, 13 to route the batch (comptoir.routing: a fixed cost, too), 1 to ask
    # whether any automatic-answer rule is active (comptoir.answers).
    with django_assert_max_num_queries(18):
        assert services.classify_pending_conversations() == 5
    assert services.classify_pending_conversations() == 0


def test_the_worker_clock_runs_the_sweep():
    assert classify_pending_conversations_task in [task for _, task in periodic_jobs()]


def test_the_task_classifies_one_conversation(trained):
    conversation = make_request(
        subject="Mot de passe", text="Je ne reçois pas le mail de réinitialisation du mot de passe."
    )

    classify_conversation_task.enqueue(conversation.pk)

    assert conversation.classification.category == "technical_problem"
