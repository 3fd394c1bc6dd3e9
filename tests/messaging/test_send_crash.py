"""A send is recorded before it leaves and never repeated after a crash: a real worker process
is killed (SIGKILL) while the SMTP server holds its message, and a new worker starts."""

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from tests.comptoir_process import ComptoirProcesses
from tests.smtp_sink import SmtpSink, free_port

QUEUE_REPLY = """
from comptoir.agents.models import Agent
from comptoir.conversations import services
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
agent = Agent.objects.filter(username="camille").first() or Agent.objects.create_user(
    username="camille", password="motdepasse-agent-1", role="agent")
raw = ("From: {name} <{address}>\\r\\nTo: support@shop.example\\r\\nSubject: Ma commande\\r\\n"
       "Message-ID: <{address}>\\r\\n\\r\\nBonjour, ou en est ma commande ?\\r\\n").encode()
message = process_inbound_email(receive_raw_email(raw, source="test").inbound.pk)
services.reply_to_conversation(conversation=message.conversation, agent=agent,
                               text="Bonjour, elle part demain.")
"""


@dataclass
class HoldingSink(SmtpSink):
    """Keeps each message as soon as its data arrived (a real server queues it then), but
    answers 250 only once released: the window where a worker may die."""

    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        await super().handle_DATA(server, session, envelope)
        while not self.release.is_set():
            await asyncio.sleep(0.05)
        return "250 2.0.0 Ok"


@pytest.fixture
def holding_sink() -> Iterator[HoldingSink]:
    sink = HoldingSink(port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        sink.release.set()
        controller.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def statuses(processes: ComptoirProcesses) -> dict[str, str]:
    return processes.evaluate(
        "dict(__import__('comptoir.messaging.models', fromlist=['Delivery'])"
        ".Delivery.objects.values_list('recipient', 'status'))"
    )


def received_by(sink: SmtpSink, address: str) -> int:
    return sum(1 for received in sink.received if received.envelope_to == [address])


def test_a_worker_killed_mid_send_leaves_one_message_received_and_the_delivery_unconfirmed(
    comptoir_processes, holding_sink
):
    env = comptoir_processes.env
    env["COMPTOIR_EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
    env["COMPTOIR_SMTP_HOST"], env["COMPTOIR_SMTP_PORT"] = holding_sink.host, str(holding_sink.port)
    env["COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS"] = "false"
    env["COMPTOIR_SURVEYS_ENABLED"] = "false"
    queued = comptoir_processes.run(
        "shell", "-c", QUEUE_REPLY.format(name="Jeanne", address="jeanne@example.fr")
    )
    assert queued.returncode == 0, queued.stderr

    worker = comptoir_processes.start("worker")
    try:
        wait_for(lambda: received_by(holding_sink, "jeanne@example.fr") == 1)
        # The server has the message; its 250 is not out yet: the worker dies now.
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    holding_sink.release.set()
    assert statuses(comptoir_processes) == {"jeanne@example.fr": "sending"}

    # A new worker, after the delay that tells a dead worker's delivery; meanwhile another
    # reply was queued, to see the new worker at work.
    env["COMPTOIR_SEND_STALE_SECONDS"] = "0"
    queued = comptoir_processes.run(
        "shell", "-c", QUEUE_REPLY.format(name="Paul", address="paul@example.fr")
    )
    assert queued.returncode == 0, queued.stderr
    restarted = comptoir_processes.start("worker")
    try:
        wait_for(lambda: received_by(holding_sink, "paul@example.fr") == 1)
        wait_for(lambda: statuses(comptoir_processes)["jeanne@example.fr"] == "unconfirmed")
        time.sleep(2)  # time enough for a wrongful resend to arrive
    finally:
        restarted.send_signal(signal.SIGTERM)
        try:
            restarted.wait(timeout=30)
        except Exception:
            restarted.kill()

    assert received_by(holding_sink, "jeanne@example.fr") == 1, "sent once, not twice"
    assert statuses(comptoir_processes) == {
        "jeanne@example.fr": "unconfirmed",
        "paul@example.fr": "sent",
    }
    last_error = comptoir_processes.evaluate(
        "__import__('comptoir.messaging.models', fromlist=['Delivery'])"
        ".Delivery.objects.get(recipient='jeanne@example.fr').last_error"
    )
    assert "may have left" in last_error
