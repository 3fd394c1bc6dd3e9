"""A real SMTP server (aiosmtpd) on a loopback port that keeps what it receives.

It can be told to answer the next N messages with a given failure (e.g. 451), to test
retries against a server that really says no, or to keep a message and drop the connection
without answering ("DROP"), as a server does when it crashes after queueing it; to refuse
some recipients; and to offer pipelining.
"""

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class ReceivedEmail:
    envelope_from: str
    envelope_to: list[str]
    raw: bytes
    # The client's (host, port): one port for many messages means one connection.
    peer: tuple = ()

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[ReceivedEmail] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The aiosmtpd controller serving it (see restart()).
    controller: Controller | None = None
    # Offer PIPELINING (RFC 2920) as Postfix does; aiosmtpd reads pipelined commands in order.
    pipelining: bool = False
    # Addresses RCPT TO refuses, with the answer.
    refused_recipients: dict[str, str] = field(default_factory=dict)

    def restart(self) -> None:
        """Stop the server and start a new one on the same port: open connections die."""
        self.controller.stop()
        self.controller = Controller(self, hostname=self.host, port=self.port)
        self.controller.start()

    def fail_next(self, count: int, answer: str = "451 4.3.0 Try again later") -> None:
        with self.lock:
            self.failures.extend([answer] * count)

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:  # noqa: N802
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address in self.refused_recipients:
            return self.refused_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        with self.lock:
            answer = self.failures.pop(0) if self.failures else "250 2.0.0 Ok"
            if answer.startswith(("250", "DROP")):
                self.received.append(
                    ReceivedEmail(
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        envelope.original_content,
                        tuple(session.peer or ()),
                    )
                )
        if answer == "DROP":
            server.transport.close()
            return "421 4.3.0 Connection dropped"  # never reaches the client
        return answer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink(settings) -> Iterator[SmtpSink]:
    """Start a real SMTP server and point Django's SMTP backend at it."""
    sink = SmtpSink(port=free_port())
    controller = sink.controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield sink
    finally:
        sink.controller.stop()
