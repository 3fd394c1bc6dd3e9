"""The email channel adapter: turns a delivery into a proper email and hands it to Django."""

import smtplib

from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection

from comptoir.messaging.adapters import PermanentSendError
from comptoir.messaging.models import Delivery
from comptoir.messaging.outgoing import Outgoing


def build_email(delivery: Delivery, outgoing: Outgoing) -> EmailMessage:
    """Build the email for a delivery: threading headers, and a From the customer can answer."""
    headers = {
        "Message-ID": f"<{outgoing.message_id}>",
        "Reply-To": outgoing.reply_to,
        **outgoing.headers,
    }
    email = EmailMultiAlternatives(
        subject=outgoing.subject,
        body=outgoing.text,
        from_email=outgoing.from_header,
        to=[delivery.recipient],
        headers=headers,
    )
    if outgoing.html:
        email.attach_alternative(outgoing.html, "text/html")
    return email


class EmailAdapter:
    def send(self, delivery: Delivery, outgoing: Outgoing) -> None:
        email = build_email(delivery, outgoing)
        try:
            with get_connection(fail_silently=False) as connection:
                sent = connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentSendError(f"recipient refused: {error.recipients}") from error
            raise
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentSendError(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise
        if sent != 1:
            raise RuntimeError("the email backend did not accept the message")
