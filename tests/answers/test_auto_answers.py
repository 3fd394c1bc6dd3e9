"""Automatic answers: a simple request gets its canned response once, never a robot."""

import pytest

from comptoir.answers import services
from comptoir.answers.models import AutoAnswer, AutoAnswerRule, CannedResponse
from comptoir.conversations import services as conversation_services
from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.customers.models import Segment
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.messaging.models import Delivery
from comptoir.sorting import services as sorting
from comptoir.sorting.models import Classification
from tests.answers.conftest import make_conversation
from tests.conftest import make_email

pytestmark = pytest.mark.django_db
Kind = ConversationEvent.Kind
INVOICE_REQUEST = "Bonjour,\n\nPourriez-vous m'envoyer la facture de ma commande 4521 ?\n\nJeanne"


@pytest.fixture
def invoice_rule(starter_responses) -> AutoAnswerRule:
    return AutoAnswerRule.objects.create(
        name="Factures", keywords="facture, duplicata", canned_response=starter_responses["Copie de facture"]
    )


def ingest(raw: bytes) -> Message:
    received = receive_raw_email(raw, source="test")
    message = process_inbound_email(received.inbound.pk)
    assert message is not None
    return message


def automatic_answers(conversation: Conversation) -> list[Message]:
    return list(
        conversation.messages.filter(
            direction=Message.Direction.OUTBOUND, text__contains="Télécharger la facture"
        )
    )


def test_a_new_matching_conversation_is_answered_after_classification(trained, invoice_rule):
    message = ingest(make_email(subject="Facture", body=INVOICE_REQUEST))

    sorting.classify_pending_conversations()

    conversation = message.conversation
    conversation.refresh_from_db()
    [answer] = automatic_answers(conversation)
    assert answer.text.startswith("Bonjour Jeanne,\n")
    assert answer.auto_submitted and answer.author is None
    assert answer.in_reply_to == message.message_id
    assert Delivery.objects.filter(message=answer, recipient="jeanne.martin@example.fr").count() == 1
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.assignee is None
    event = conversation.events.get(kind=Kind.AUTO_ANSWERED)
    assert event.actor is None
    assert event.data == {
        "rule": invoice_rule.pk,
        "canned_response": invoice_rule.canned_response_id,
        "message": answer.pk,
    }
    assert AutoAnswer.objects.get(conversation=conversation).message == answer


def test_the_automatic_answer_is_sent_once_when_retried(trained, invoice_rule):
    message = ingest(make_email(subject="Facture", body=INVOICE_REQUEST))
    conversation = message.conversation
    sorting.classify_pending_conversations()
    # Back to new, as if the answer's status change had been lost: the row still says no.
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.NEW)

    assert services.answer_conversation(conversation.pk) is None
    assert services.answer_new_conversations([conversation.pk]) == 0
    sorting.classify_conversation(conversation)

    assert len(automatic_answers(conversation)) == 1
    assert conversation.events.filter(kind=Kind.AUTO_ANSWERED).count() == 1


def test_the_database_allows_one_automatic_answer_per_conversation(invoice_rule):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    conversation = make_conversation()
    AutoAnswer.objects.create(conversation=conversation, rule=invoice_rule, answered_at=timezone.now())

    with pytest.raises(IntegrityError), transaction.atomic():
        AutoAnswer.objects.create(
            conversation=conversation, rule=invoice_rule, answered_at=timezone.now()
        )


def test_automatic_mail_is_never_answered(trained, invoice_rule):
    message = ingest(
        make_email(
            subject="Facture",
            body=INVOICE_REQUEST,
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    assert message.auto_submitted

    sorting.classify_pending_conversations()

    assert automatic_answers(message.conversation) == []
    assert not AutoAnswer.objects.exists()


def test_a_conversation_an_agent_already_handles_is_not_answered(agent, invoice_rule):
    conversation = make_conversation()
    conversation_services.assign_conversation(conversation=conversation, assignee=agent, by=agent)

    assert services.answer_conversation(conversation.pk) is None


def test_a_rule_matches_on_the_classified_category(starter_responses):
    conversation = make_conversation(subject="Question", text="Mon colis a du retard.")
    rule = AutoAnswerRule.objects.create(
        name="Livraison", category="order_delivery", canned_response=starter_responses["Retard de livraison"]
    )
    assert services.answer_conversation(conversation.pk) is None  # not classified yet

    Classification.objects.create(
        conversation=conversation,
        category="order_delivery",
        level="1",
        sentiment="neutral",
        urgency="normal",
        predicted_at=conversation.created_at,
    )

    assert services.answer_conversation(conversation.pk).rule == rule


def test_a_rule_for_a_segment_answers_only_its_customers(invoice_rule):
    loyal = Segment.objects.create(name="Fidèles")
    invoice_rule.segment = loyal
    invoice_rule.save()
    outsider = make_conversation(email="paul@example.fr")
    member = make_conversation(email="lea@example.fr")
    loyal.customers.add(member.customer)

    assert services.answer_conversation(outsider.pk) is None
    assert services.answer_conversation(member.pk) is not None


def test_a_customer_reply_reopens_the_conversation_for_a_human(invoice_rule):
    conversation = make_conversation()
    services.answer_conversation(conversation.pk)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING

    conversation_services.add_inbound_message(
        conversation=conversation, text="Je ne trouve pas le bouton.", from_address="jeanne@example.fr"
    )

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.assignee is None


def test_an_agent_takes_over_in_one_step(agent, invoice_rule):
    conversation = make_conversation()
    services.answer_conversation(conversation.pk)
    conversation.refresh_from_db()

    services.take_over_conversation(conversation=conversation, agent=agent)

    conversation.refresh_from_db()
    assert conversation.assignee == agent
    assert conversation.status == Conversation.Status.OPEN
    kinds = list(conversation.events.filter(actor=agent).values_list("kind", flat=True))
    assert kinds == [Kind.ASSIGNED, Kind.STATUS_CHANGED]


def test_a_rule_needs_a_category_or_keywords(starter_responses):
    from django.core.exceptions import ValidationError

    rule = AutoAnswerRule(name="Tout", canned_response=starter_responses["Copie de facture"])

    with pytest.raises(ValidationError):
        rule.full_clean()


def test_an_inactive_response_is_never_sent(invoice_rule):
    CannedResponse.objects.filter(pk=invoice_rule.canned_response_id).update(is_active=False)
    conversation = make_conversation()

    assert services.answer_conversation(conversation.pk) is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_automatic_answer(starter_responses):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's row locks")
    AutoAnswerRule.objects.create(
        name="Factures", keywords="facture", canned_response=starter_responses["Copie de facture"]
    )
    conversation = make_conversation()
    barrier = threading.Barrier(2)
    results = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(services.answer_conversation(conversation.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len([r for r in results if r is not None]) == 1
    assert len(automatic_answers(conversation)) == 1
