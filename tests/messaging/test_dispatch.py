"""Sending is recorded, retried with backoff on temporary failures, and never done twice."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from comptoir.conversations import services
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.messaging import dispatch
from comptoir.messaging.models import Delivery
from tests.conftest import make_email
from tests.smtp_sink import free_port


@pytest.fixture
def queued_delivery(settings, agent) -> Delivery:
    """A reply queued but not sent yet: the task that would wake a worker goes nowhere."""
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = False
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    message = process_inbound_email(receive_raw_email(make_email(), source="test").inbound.pk)
    reply = services.reply_to_conversation(
        conversation=message.conversation, agent=agent, text="Bonjour, c'est en route."
    )
    return Delivery.objects.get(message=reply)


@pytest.mark.django_db
def test_temporary_failure_is_retried_after_backoff_and_sent_once(
    queued_delivery, smtp_sink, settings
):
    settings.COMPTOIR_SEND_RETRY_BASE_SECONDS = 60
    smtp_sink.fail_next(1, "451 4.3.0 Greylisted, try again later")

    assert dispatch.send_delivery(queued_delivery.pk) == Delivery.Status.QUEUED
    queued_delivery.refresh_from_db()
    assert queued_delivery.attempts == 1
    assert "451" in queued_delivery.last_error
    assert queued_delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert dispatch.send_due_deliveries() == 0, "not due before its backoff"

    Delivery.objects.filter(pk=queued_delivery.pk).update(next_attempt_at=timezone.now())
    assert dispatch.send_due_deliveries() == 1
    queued_delivery.refresh_from_db()
    assert queued_delivery.status == Delivery.Status.SENT
    assert queued_delivery.attempts == 2
    assert len(smtp_sink.received) == 1


@pytest.mark.django_db
def test_backoff_doubles_with_each_attempt(settings):
    settings.COMPTOIR_SEND_RETRY_BASE_SECONDS = 60
    assert [dispatch.retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]


@pytest.mark.django_db
def test_permanent_refusal_fails_without_retry(queued_delivery, smtp_sink):
    smtp_sink.fail_next(1, "550 5.1.1 No such user")
    assert dispatch.send_delivery(queued_delivery.pk) == Delivery.Status.FAILED
    queued_delivery.refresh_from_db()
    assert "550" in queued_delivery.last_error
    assert dispatch.send_due_deliveries() == 0
    assert smtp_sink.received == []


@pytest.mark.django_db
def test_unreachable_server_leaves_the_delivery_queued_for_later(queued_delivery, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    assert dispatch.send_delivery(queued_delivery.pk) == Delivery.Status.QUEUED
    queued_delivery.refresh_from_db()
    assert queued_delivery.next_attempt_at > timezone.now()
    assert "Connection" in queued_delivery.last_error or "refused" in queued_delivery.last_error


@pytest.mark.django_db
def test_delivery_fails_for_good_after_the_last_attempt(queued_delivery, smtp_sink, settings):
    settings.COMPTOIR_SEND_MAX_ATTEMPTS = 2
    settings.COMPTOIR_SEND_RETRY_BASE_SECONDS = 0
    smtp_sink.fail_next(5)
    dispatch.send_delivery(queued_delivery.pk)
    assert dispatch.send_delivery(queued_delivery.pk) == Delivery.Status.FAILED
    assert smtp_sink.received == []


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_delivery_send_it_once(queued_delivery, smtp_sink):
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker() -> None:
        barrier.wait()
        try:
            for _ in range(50):
                try:
                    results.append(dispatch.send_delivery(queued_delivery.pk))
                    return
                except OperationalError:
                    # The test database is SQLite in memory with a shared cache: a writer
                    # meets "table is locked" at once instead of waiting as on a file (WAL,
                    # busy timeout). The task would be retried; so is this call.
                    time.sleep(0.05)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(smtp_sink.received) == 1
    assert Delivery.objects.get(pk=queued_delivery.pk).attempts == 1


@pytest.mark.django_db
def test_delivery_left_sending_by_a_dead_worker_is_marked_unconfirmed_not_resent(
    queued_delivery, smtp_sink, settings
):
    # The worker may have died after the server took the message: a resend could be a
    # second copy. tests/messaging/test_send_crash.py kills a real worker for this.
    stale = timezone.now() - timedelta(seconds=settings.COMPTOIR_SEND_STALE_SECONDS + 60)
    Delivery.objects.filter(pk=queued_delivery.pk).update(
        status=Delivery.Status.SENDING, claimed_at=stale, attempts=1
    )
    assert dispatch.send_due_deliveries() == 0
    queued_delivery.refresh_from_db()
    assert queued_delivery.status == Delivery.Status.UNCONFIRMED
    assert "may have left" in queued_delivery.last_error
    assert smtp_sink.received == []


@pytest.mark.django_db
def test_a_sent_delivery_is_never_sent_again(queued_delivery, smtp_sink):
    dispatch.send_delivery(queued_delivery.pk)
    dispatch.send_delivery(queued_delivery.pk)
    dispatch.send_due_deliveries()
    assert len(smtp_sink.received) == 1


@pytest.mark.django_db
def test_due_deliveries_cost_a_constant_number_of_queries_each(
    settings, agent, django_assert_max_num_queries
):
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = False
    for number in range(5):
        message = process_inbound_email(
            receive_raw_email(
                make_email(message_id=f"<q{number}@example.fr>", subject=f"Question {number}"),
                source="test",
            ).inbound.pk
        )
        services.reply_to_conversation(conversation=message.conversation, agent=agent, text="Oui.")
    # claim, load with its message, conversation and customer, suppression list, save: 5
    # per delivery, plus the stale sweep and the due list.
    with django_assert_max_num_queries(2 + 5 * 5):
        assert dispatch.send_due_deliveries() == 5


def test_reply_with_anymail_test_backend_goes_through_the_same_dispatcher(
    queued_delivery, settings
):
    from django.core import mail

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    assert dispatch.send_delivery(queued_delivery.pk) == Delivery.Status.SENT
    [sent] = mail.outbox
    assert sent.extra_headers["In-Reply-To"] == "<abc123@example.fr>"
