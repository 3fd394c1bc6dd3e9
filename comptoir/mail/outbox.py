"""The demo's outbox (`comptoir outbox`): an SMTP server that keeps what Comptoir sends.

`comptoir serve --demo` points outbound mail here unless COMPTOIR_SMTP_HOST names a real
server, so the demo sends for real (campaigns, replies, tests) and nothing leaves the
machine. Each message is written as a .eml file in DATA_DIR/outbox/new, Maildir style
(written under tmp/ then renamed, so a reader never sees half a file); any mail client that
reads a Maildir, or `comptoir parse-mail FILE`, shows them.
"""

import asyncio
import logging
import os
import signal
import time
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

logger = logging.getLogger(__name__)


class OutboxHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        for sub in ("tmp", "new", "cur"):
            (directory / sub).mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd API)
        name = f"{time.time_ns()}.{os.getpid()}.eml"
        temporary = self.directory / "tmp" / name
        temporary.write_bytes(envelope.original_content or b"")
        temporary.rename(self.directory / "new" / name)
        logger.info("outbox: %s → %s", envelope.mail_from, ", ".join(envelope.rcpt_tos))
        return "250 2.0.0 Kept in the outbox"


def run(host: str, port: int, directory: Path) -> None:
    """Serve until SIGTERM or SIGINT."""
    loop = asyncio.new_event_loop()
    handler = OutboxHandler(directory)
    server = loop.run_until_complete(
        loop.create_server(lambda: SMTP(handler, hostname="comptoir-outbox"), host, port)
    )
    logger.info("outbox: smtp://%s:%s → %s", host, port, directory)
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
