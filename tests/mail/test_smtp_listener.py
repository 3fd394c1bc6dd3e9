"""The inbound SMTP/LMTP listener, spoken to over real sockets with smtplib."""

import asyncio
import signal
import smtplib
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from comptoir.conversations.models import Conversation, Message
from comptoir.mail import smtp_listener
from comptoir.mail.models import InboundEmail
from tests.conftest import make_email
from tests.smtp_sink import free_port


class RunningListener:
    """The listener's asyncio server on a loopback port, in a thread of the test process."""

    def __init__(self, *, lmtp: bool = False, max_size: int = 1_000_000) -> None:
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        factory = smtp_listener.protocol_factory(lmtp=lmtp, max_size=max_size)
        self.server = self.loop.run_until_complete(
            self.loop.create_server(factory, "127.0.0.1", self.port)
        )
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        # Close the database connection of the thread that stored the emails, so the test
        # database can be dropped at the end of the run.
        close = sync_to_async(connections.close_all, thread_sensitive=True)
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def listener():
    running = RunningListener()
    yield running
    running.stop()


def send(port: int, raw: bytes, recipients=("support@shop.example",)) -> dict:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        return client.sendmail("jeanne.martin@example.fr", list(recipients), raw)


@pytest.mark.django_db(transaction=True)
def test_a_message_sent_over_smtp_becomes_a_conversation(listener):
    send(listener.port, make_email(subject="Colis abîmé", message_id="<smtp-1@example.fr>"))

    inbound = InboundEmail.objects.get()
    assert inbound.source == "smtp"
    assert inbound.envelope_from == "jeanne.martin@example.fr"
    assert inbound.envelope_to == ["support@shop.example"]
    conversation = Conversation.objects.get()
    assert conversation.subject == "Colis abîmé"
    assert conversation.customer.display_name == "Jeanne Martin"


@pytest.mark.django_db(transaction=True)
def test_the_same_message_delivered_twice_is_stored_once(listener):
    raw = make_email(message_id="<smtp-twice@example.fr>")
    send(listener.port, raw)
    send(listener.port, raw)  # a sending server retrying after a lost 250

    assert InboundEmail.objects.count() == 1
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_oversized_message_is_refused_with_552():
    listener = RunningListener(max_size=2_000)
    try:
        with pytest.raises(smtplib.SMTPException) as refused:
            send(listener.port, make_email(body="x" * 5_000))
    finally:
        listener.stop()
    assert "552" in str(refused.value)
    assert InboundEmail.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_storage_failure_answers_451_so_the_sender_retries(listener, monkeypatch):
    def database_down(*args, **kwargs):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(smtp_listener.inbound, "receive_raw_email", database_down)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(listener.port, make_email())
    assert refused.value.smtp_code == 451

    monkeypatch.undo()  # the database is back: the sender's retry goes through
    send(listener.port, make_email())
    assert Conversation.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_lmtp_answers_once_per_recipient_and_stores_once():
    listener = RunningListener(lmtp=True)
    try:
        with smtplib.LMTP("127.0.0.1", listener.port, timeout=10) as client:
            client.ehlo("mx.example.fr")  # smtplib.LMTP sends LHLO
            client.mail("jeanne.martin@example.fr")
            client.rcpt("support@shop.example")
            client.rcpt("sav@shop.example")
            code, _ = client.data(make_email(message_id="<lmtp-1@example.fr>"))
            # smtplib reads the first answer; the second must be there too, not a hang.
            second = client.getreply()
    finally:
        listener.stop()
    assert code == 250 and second[0] == 250
    inbound = InboundEmail.objects.get()
    assert inbound.source == "lmtp"
    assert sorted(inbound.envelope_to) == ["sav@shop.example", "support@shop.example"]


def wait_for_port(port: int, process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode()
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listening on {port}")


@pytest.mark.slow
def test_a_crash_right_after_250_still_yields_the_conversation(comptoir_processes):
    """The real `comptoir mail-in` is killed (SIGKILL) as soon as it has said 250, before
    any worker ran; the worker's sweep, run afterwards, still makes the conversation."""
    port = free_port()
    comptoir_processes.env["COMPTOIR_TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    listener = comptoir_processes.start("mail-in", "--port", str(port))
    try:
        wait_for_port(port, listener)
        send(port, make_email(subject="Remboursement", message_id="<crash@example.fr>"))
    finally:
        listener.send_signal(signal.SIGKILL)
        listener.wait(10)

    assert comptoir_processes.evaluate(
        "__import__('comptoir.mail.models', fromlist=['x']).InboundEmail.objects.count()"
    ) == 1
    swept = comptoir_processes.evaluate(
        "__import__('comptoir.mail.inbound', fromlist=['x']).process_pending_inbound_emails()"
    )
    assert swept == 1
    subjects = comptoir_processes.evaluate(
        "list(__import__('comptoir.conversations.models', fromlist=['x'])"
        ".Conversation.objects.values_list('subject', flat=True))"
    )
    assert subjects == ["Remboursement"]
