"""One SMTP connection kept open across sends, per worker thread, spoken with smtplib.

Why not Django's SMTP backend: it takes the envelope sender from the From header, and each
delivery needs its own (the VERP bounce address, comptoir.mail.verp); and it opens a
connection per send, where a campaign needs a thousand messages a second.

The SMTP dialogue is split where the risk of a duplicate lies. Until the message data has
gone out, a failure means the server has nothing: reconnect and try again (a server closes
idle connections, so a connection kept open is often found dead). Once the data has gone
out, a broken connection leaves it unknown whether the server queued the message: that is
reported as UnconfirmedSendError and never retried here.
"""

import re
import smtplib
import threading
from dataclasses import dataclass

from django.conf import settings

from comptoir.messaging.adapters import UnconfirmedSendError

LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    timeout: float

    @classmethod
    def from_settings(cls) -> "SmtpConfig":
        return cls(
            settings.EMAIL_HOST,
            settings.EMAIL_PORT,
            settings.EMAIL_HOST_USER,
            settings.EMAIL_HOST_PASSWORD,
            settings.EMAIL_USE_TLS,
            settings.EMAIL_TIMEOUT or 30,
        )


class SmtpSession:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def connect(self) -> smtplib.SMTP:
        config = self.config
        connection = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        connection.ehlo()
        if config.starttls:
            connection.starttls()
            connection.ehlo()
        if config.user:
            connection.login(config.user, config.password)
        self.connection = connection
        return connection

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def send(self, *, envelope_from: str, recipient: str, raw: bytes) -> None:
        """Hand one message to the server.

        Raises smtplib.SMTPResponseException when the server refused it (its code says
        whether for good), OSError when the server could not be reached (nothing was sent),
        UnconfirmedSendError when the connection broke after the data went out.
        """
        connection = self.open_envelope(envelope_from, recipient)
        self.transmit(connection, raw)

    def open_envelope(self, envelope_from: str, recipient: str) -> smtplib.SMTP:
        """Send MAIL FROM and RCPT TO, on the open connection or, if it died, a new one."""
        reused = self.connection is not None
        connection = self.connection or self.connect()
        try:
            expect(connection.mail(envelope_from), 250, smtplib.SMTPSenderRefused, envelope_from)
            expect(connection.rcpt(recipient), (250, 251), smtplib.SMTPRecipientsRefused, recipient)
        except smtplib.SMTPResponseException as refusal:
            if reused and refusal.smtp_code == 421:  # "closing idle connection"
                self.close()
                return self.open_envelope(envelope_from, recipient)
            reset(connection)
            raise
        except smtplib.SMTPRecipientsRefused:
            reset(connection)
            raise
        except OSError:  # disconnected, timed out: the server holds nothing of this message
            self.close()
            if not reused:
                raise
            return self.open_envelope(envelope_from, recipient)
        return connection

    def transmit(self, connection: smtplib.SMTP, raw: bytes) -> None:
        try:
            code, reply = connection.docmd("DATA")
        except OSError:
            self.close()
            raise
        if code != 354:
            reset(connection)
            raise smtplib.SMTPDataError(code, reply)
        data = LEADING_DOT.sub(b"..", raw)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            connection.send(data + b".\r\n")
            code, reply = connection.getreply()
        except OSError as error:
            self.close()
            raise UnconfirmedSendError(
                f"the connection broke after the message was sent, before the server's "
                f"answer: {type(error).__name__}: {error}"
            ) from error
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)


def expect(
    answer: tuple[int, bytes], codes: int | tuple[int, ...], error: type, subject: str
) -> None:
    code, reply = answer
    if code not in (codes if isinstance(codes, tuple) else (codes,)):
        if error is smtplib.SMTPRecipientsRefused:
            raise smtplib.SMTPRecipientsRefused({subject: (code, reply)})
        raise error(code, reply, subject)


def reset(connection: smtplib.SMTP) -> None:
    try:
        connection.rset()
    except (smtplib.SMTPException, OSError):
        pass


_local = threading.local()


def current_session() -> SmtpSession:
    """This thread's session to the configured server (a new one if the settings changed)."""
    config = SmtpConfig.from_settings()
    session: SmtpSession | None = getattr(_local, "session", None)
    if session is None or session.config != config:
        if session is not None:
            session.close()
        session = _local.session = SmtpSession(config)
    return session


def close_current_session() -> None:
    session = getattr(_local, "session", None)
    if session is not None:
        session.close()
