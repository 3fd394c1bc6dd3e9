"""Every delivery asks the consent rules, when it is queued and again just before it is sent."""

import pytest

from comptoir.consents import services as consents
from comptoir.consents.models import Channel, ConsentStatus, Purpose, Source, Suppression
from comptoir.consents.rules import Reason
from comptoir.conversations import services
from comptoir.conversations.models import Message
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.messaging import dispatch
from comptoir.messaging.models import Delivery
from comptoir.messaging.services import queue_delivery
from tests.conftest import make_email

CUSTOMER_ADDRESS = "jeanne.martin@example.fr"
pytestmark = pytest.mark.django_db


@pytest.fixture
def inbound(settings) -> Message:
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = False
    return process_inbound_email(receive_raw_email(make_email(), source="test").inbound.pk)


@pytest.fixture
def no_worker(settings):
    """Queued deliveries stay queued: the task that would wake a worker goes nowhere."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def outbound_message(inbound: Message) -> Message:
    return Message.objects.create(
        conversation=inbound.conversation,
        customer=inbound.conversation.customer,
        direction=Message.Direction.OUTBOUND,
        subject="Nos nouveautés",
        from_address="support@shop.example",
        to=[CUSTOMER_ADDRESS],
        message_id="news-1@shop.example",
        text="Découvrez nos nouveautés.",
    )


def test_reply_is_refused_when_the_address_hard_bounced(
    inbound, agent, mailoutbox, django_capture_on_commit_callbacks
):
    consents.suppress_address(value=CUSTOMER_ADDRESS, channel=Channel.EMAIL, reason="hard_bounce")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reply = services.reply_to_conversation(
            conversation=inbound.conversation, agent=agent, text="Bonjour, c'est en route."
        )

    delivery = Delivery.objects.get(message=reply)
    assert delivery.status == Delivery.Status.REFUSED
    assert delivery.refusal_reason == Reason.SUPPRESSED_HARD_BOUNCE
    assert delivery.get_refusal_reason_display() == "Adresse en échec définitif"
    assert callbacks == [], "no worker is woken for a refused delivery"
    assert mailoutbox == []


def test_reply_still_reaches_a_customer_who_left_marketing(
    inbound, agent, mailoutbox, django_capture_on_commit_callbacks
):
    customer = inbound.conversation.customer
    consents.withdraw_marketing(customer=customer, proof=consents.Proof(source=Source.ONE_CLICK))
    consents.suppress_address(value=CUSTOMER_ADDRESS, channel=Channel.EMAIL, reason="unsubscribed")

    with django_capture_on_commit_callbacks(execute=True):
        reply = services.reply_to_conversation(
            conversation=inbound.conversation, agent=agent, text="Bonjour, c'est en route."
        )

    delivery = Delivery.objects.get(message=reply)
    assert (delivery.purpose, delivery.status) == (Purpose.SERVICE, Delivery.Status.SENT)
    assert len(mailoutbox) == 1


def test_a_bounce_after_queueing_stops_the_send(inbound, agent, no_worker, mailoutbox):
    reply = services.reply_to_conversation(
        conversation=inbound.conversation, agent=agent, text="Bonjour, c'est en route."
    )
    delivery = Delivery.objects.get(message=reply)
    assert delivery.status == Delivery.Status.QUEUED
    Suppression.objects.create(value=CUSTOMER_ADDRESS, channel=Channel.EMAIL, reason="manual")

    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.REFUSED

    delivery.refresh_from_db()
    assert delivery.refusal_reason == Reason.SUPPRESSED_MANUAL
    assert mailoutbox == []
    assert dispatch.send_due_deliveries() == 0


def test_marketing_to_a_prospect_without_opt_in_is_refused(inbound, mailoutbox):
    delivery = queue_delivery(
        message=outbound_message(inbound), recipient=CUSTOMER_ADDRESS, purpose=Purpose.MARKETING
    )

    assert (delivery.status, delivery.refusal_reason) == (Delivery.Status.REFUSED, Reason.NO_OPT_IN)
    assert mailoutbox == []


def test_marketing_with_opt_in_is_sent_until_withdrawn(inbound, no_worker, mailoutbox):
    customer = inbound.conversation.customer
    consents.record_consent(
        customer=customer,
        purpose=Purpose.MARKETING,
        channel=Channel.EMAIL,
        status=ConsentStatus.GRANTED,
        proof=consents.Proof(source=Source.FORM),
    )
    delivery = queue_delivery(
        message=outbound_message(inbound), recipient=CUSTOMER_ADDRESS, purpose=Purpose.MARKETING
    )
    assert delivery.status == Delivery.Status.QUEUED

    # The customer clicks "unsubscribe" in an earlier newsletter before this one goes out.
    consents.withdraw_marketing(customer=customer, proof=consents.Proof(source=Source.ONE_CLICK))

    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.REFUSED
    delivery.refresh_from_db()
    assert delivery.refusal_reason == Reason.WITHDRAWN
    assert mailoutbox == []
