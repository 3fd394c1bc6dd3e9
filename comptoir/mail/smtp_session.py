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

import smtplib
import threading
from dataclasses import dataclass

from django.conf import settings

from comptoir.customers.identities import PLAIN_ADDRESS
from comptoir.messaging.adapters import UnconfirmedSendError

# What MAIL FROM, RCPT TO and DATA answer when the server takes the message on.
MAIL_ACCEPTED, RCPT_ACCEPTED, DATA_ACCEPTED = (250,), (250, 251), (354,)


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
        """Send MAIL FROM, RCPT TO and DATA, on the open connection or, if it died, a new one."""
        reused = self.connection is not None
        connection = self.connection or self.connect()
        try:
            envelope(connection, envelope_from, recipient)
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
        """Send the message data (the server said 354 to DATA) and read its verdict."""
        data = dot_stuffed(raw)
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


def envelope(connection: smtplib.SMTP, envelope_from: str, recipient: str) -> None:
    """MAIL FROM, RCPT TO and DATA; raise what the first refusal means.

    When the server offers pipelining (RFC 2920; Postfix, Exim and the providers' relays
    do), the three go in one write and their answers are read together: one round trip
    instead of three. A server that refuses MAIL or RCPT then refuses the DATA too, and
    nothing has been sent; the caller resets the transaction.
    """
    commands = [
        f"MAIL FROM:{bracketed(envelope_from)}",
        f"RCPT TO:{bracketed(recipient)}",
        "DATA",
    ]
    if connection.has_extn("pipelining"):
        connection.send("".join(f"{command}\r\n" for command in commands))
        replies = [connection.getreply() for _ in commands]
    else:
        replies = []
        accepted_answers = (MAIL_ACCEPTED, RCPT_ACCEPTED, DATA_ACCEPTED)
        for command, accepted in zip(commands, accepted_answers, strict=True):
            replies.append(connection.docmd(command))
            if replies[-1][0] not in accepted:
                break
    expect(replies[0], MAIL_ACCEPTED, smtplib.SMTPSenderRefused, envelope_from)
    expect(replies[1], RCPT_ACCEPTED, smtplib.SMTPRecipientsRefused, recipient)
    expect(replies[2], DATA_ACCEPTED, smtplib.SMTPDataError, "")


def bracketed(address: str) -> str:
    # A plain address is written as it is, without the email package's parser (25 µs).
    return f"<{address}>" if PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)


def dot_stuffed(raw: bytes) -> bytes:
    """Double the dot that starts a line (RFC 5321 4.5.2), so that none ends the data early.
    Lines end in CRLF on the wire (the MIME writer writes no other), so a replace does it at
    C speed; smtplib's multiline regex took 80 µs on a 20 KB message."""
    stuffed = raw.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


def expect(answer: tuple[int, bytes], codes: tuple[int, ...], error: type, subject: str) -> None:
    code, reply = answer
    if code not in codes:
        if error is smtplib.SMTPRecipientsRefused:
            raise smtplib.SMTPRecipientsRefused({subject: (code, reply)})
        if error is smtplib.SMTPDataError:
            raise smtplib.SMTPDataError(code, reply)
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
