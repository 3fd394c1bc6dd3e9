"""The inbound SMTP/LMTP listener (`comptoir mail-in`), built on aiosmtpd.

Nothing lost: the raw message is committed to the database before the 250 answer. If
storing fails (database down, disk full), the answer is a temporary 451 so the sending
server keeps the message and tries again. Processing (parse, customer, conversation) runs
later in the worker, so a crash after 250 still yields the conversation: the worker's
periodic sweep picks up any stored email whose task was lost.
"""

import asyncio
import logging
import signal

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from comptoir.mail import inbound

logger = logging.getLogger(__name__)

ACCEPTED = "250 2.0.0 Message accepted"
TRY_AGAIN_LATER = "451 4.3.0 Message not stored, please try again later"


def store_and_enqueue(raw: bytes, *, source: str, envelope_from: str, envelope_to: list[str]) -> int:
    """Commit the raw email and ask the worker to process it; return its id."""
    close_old_connections()  # a long-lived process: drop connections the server closed
    received = inbound.receive_raw_email(
        raw, source=source, envelope_from=envelope_from, envelope_to=envelope_to
    )
    if received.created:
        enqueue_processing(received.inbound.pk)
    return received.inbound.pk


def enqueue_processing(inbound_id: int) -> None:
    from comptoir.mail.tasks import process_inbound_email_task

    try:
        process_inbound_email_task.enqueue(inbound_id)
    except Exception:
        # The email is stored: the worker's sweep of unprocessed emails will take it.
        logger.exception("could not enqueue processing of inbound email %s", inbound_id)


class InboundHandler:
    """aiosmtpd handler: accept any recipient, store each message once, then answer."""

    def __init__(self, *, lmtp: bool) -> None:
        self.lmtp = lmtp
        self.source = "lmtp" if lmtp else "smtp"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # thread_sensitive: every database write happens in one thread, which SQLite prefers.
        store = sync_to_async(store_and_enqueue, thread_sensitive=True)
        try:
            inbound_id = await store(
                envelope.original_content or b"",
                source=self.source,
                envelope_from=envelope.mail_from or "",
                envelope_to=list(envelope.rcpt_tos),
            )
        except Exception:
            logger.exception("could not store a message from %s", envelope.mail_from)
            status = TRY_AGAIN_LATER
        else:
            logger.info("stored inbound email %s from %s", inbound_id, envelope.mail_from)
            status = ACCEPTED
        if self.lmtp:
            # LMTP answers once per recipient (RFC 2033); the message is stored once for all.
            return "\r\n".join(status for _ in envelope.rcpt_tos)
        return status


def protocol_factory(*, lmtp: bool, max_size: int):  # -> Callable[[], SMTP]
    handler = InboundHandler(lmtp=lmtp)
    protocol = LMTP if lmtp else SMTP

    def make() -> SMTP:
        # data_size_limit makes aiosmtpd answer 552 to an oversized message by itself.
        return protocol(
            handler,
            data_size_limit=max_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=settings.COMPTOIR_MAIL_IN_HOSTNAME,
        )

    return make


async def serve(host: str, port: int, *, lmtp: bool, max_size: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol_factory(lmtp=lmtp, max_size=max_size), host, port)
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    logger.info("mail-in listening on %s:%s (%s)", host, port, "LMTP" if lmtp else "SMTP")
    async with server:
        await stopping.wait()
    logger.info("mail-in stopped")


def run(host: str, port: int, *, lmtp: bool, max_size: int) -> None:
    asyncio.run(serve(host, port, lmtp=lmtp, max_size=max_size))
