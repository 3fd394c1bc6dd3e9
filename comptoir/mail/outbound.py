"""The email channel adapter: turns a delivery into a proper email and hands it to Django."""

import smtplib
from email.utils import formataddr

from django.core.mail import EmailMessage, get_connection

from comptoir.conversations.reply_threading import reply_address
from comptoir.messaging.adapters import PermanentSendError
from comptoir.messaging.models import Delivery


def build_email(delivery: Delivery) -> EmailMessage:
    """Build the email for a delivery: threading headers, and a From the customer can answer."""
    message = delivery.message
    # A message may name its own Reply-To (a forward to an internal service does).
    reply_to = message.reply_to[0] if message.reply_to else reply_address(message.conversation_id)
    headers = {
        "Message-ID": f"<{message.message_id}>",
        "Reply-To": formataddr((message.from_name, reply_to)),
    }
    if message.in_reply_to:
        headers["In-Reply-To"] = f"<{message.in_reply_to}>"
    if message.references:
        headers["References"] = " ".join(f"<{r}>" for r in message.references)
    if message.auto_submitted:
        # RFC 3834: tells the customer's own autoresponder not to answer us back.
        headers["Auto-Submitted"] = "auto-replied"
    return EmailMessage(
        subject=message.subject,
        body=message.text,
        from_email=formataddr((message.from_name, message.from_address)),
        to=[delivery.recipient],
        headers=headers,
    )


class EmailAdapter:
    def send(self, delivery: Delivery) -> None:
        email = build_email(delivery)
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
