"""Forward requests quote the customer: erasure and export reach them like any customer row."""

import io
import json
import zipfile

import pytest

from comptoir.escalations import services
from comptoir.escalations.models import ForwardRequest
from comptoir.privacy.erasure import erase_customer
from comptoir.privacy.export import export_customer

pytestmark = pytest.mark.django_db

QUESTION = "Jeanne Martin, 12 rue des Lilas, attend sa commande 12345 : où est-elle ?"


def test_erasure_blanks_the_question_and_the_email_sent(
    conversation, agent, admin_agent, logistics
):
    forward = services.forward_conversation(
        conversation=conversation, to=logistics, question=QUESTION, by=agent
    )

    erase_customer(customer=conversation.customer, actor=admin_agent)

    forward.refresh_from_db()
    assert forward.question == ""
    assert forward.status == ForwardRequest.Status.WAITING  # the figures keep their facts
    assert forward.sent_message.text == "" and "Jeanne" not in forward.sent_message.subject


def test_export_includes_the_questions_about_the_customer(conversation, agent, logistics):
    services.forward_conversation(
        conversation=conversation, to=logistics, question=QUESTION, by=agent
    )

    with zipfile.ZipFile(io.BytesIO(export_customer(conversation.customer))) as archive:
        document = json.loads(archive.read("customer.json"))
    [exported] = document["other"]["escalations.forwardrequest"]
    assert exported["question"] == QUESTION
