"""The email channel adapter: turns a delivery into a proper email and sends it.

Two ways out, chosen by COMPTOIR_EMAIL_BACKEND:
- SMTP (Django's SMTP backend named, the default): we speak SMTP ourselves on a connection
  kept open (comptoir.mail.smtp_session), with the delivery's own bounce address as envelope
  sender (VERP, comptoir.mail.verp) and our DKIM signature on the final bytes;
- any other Django backend (a django-anymail provider, the test outbox): the email is handed
  to it; the provider signs, takes the bounces and reports them to our webhooks, which find
  the delivery by the id it gave the send (provider_message_id).
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection

from comptoir.mail import verp
from comptoir.mail.dkim_signing import configured_key
from comptoir.mail.mime import email_bytes
from comptoir.mail.smtp_session import current_session
from comptoir.messaging.adapters import PermanentSendError, UnconfirmedSendError
from comptoir.messaging.models import Delivery
from comptoir.messaging.outgoing import Outgoing

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def build_email(delivery: Delivery, outgoing: Outgoing) -> EmailMessage:
    """Build the email for a delivery: threading headers, and a From the customer can answer."""
    headers = {
        "Message-ID": f"<{outgoing.message_id}>",
        "Reply-To": outgoing.reply_to,
        "Feedback-ID": feedback_id(delivery),
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


def feedback_id(delivery: Delivery) -> str:
    """Gmail's feedback loop key: campaign:template:kind:sender (Gmail reports complaint rates
    per value of each field, so none is unique to a message)."""
    campaign = f"c{delivery.campaign_id}" if delivery.campaign_id else "none"
    template = delivery.template.slug if delivery.template_id else "reply"
    kind = delivery.template.kind if delivery.template_id else "service"
    return f"{campaign}:{template}:{kind}:{settings.COMPTOIR_FEEDBACK_SENDER_ID}"


def message_bytes(delivery: Delivery, outgoing: Outgoing) -> bytes:
    """The bytes that leave over SMTP, DKIM-signed when a key is configured."""
    headers = [
        ("From", outgoing.from_header),
        ("To", delivery.recipient),
        ("Reply-To", outgoing.reply_to),
        ("Subject", outgoing.subject),
        ("Message-ID", f"<{outgoing.message_id}>"),
        ("Feedback-ID", feedback_id(delivery)),
        *outgoing.headers.items(),
    ]
    raw = email_bytes(headers, text=outgoing.text, html=outgoing.html)
    key = configured_key()
    return key.sign(raw) if key else raw


class EmailAdapter:
    def send(self, delivery: Delivery, outgoing: Outgoing) -> None:
        if settings.EMAIL_BACKEND == SMTP_BACKEND:
            send_over_smtp(delivery, outgoing)
        else:
            send_through_backend(delivery, outgoing)


def send_over_smtp(delivery: Delivery, outgoing: Outgoing) -> None:
    raw = message_bytes(delivery, outgoing)
    try:
        current_session().send(
            envelope_from=verp.bounce_address(delivery.pk), recipient=delivery.recipient, raw=raw
        )
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentSendError(f"recipient refused: {error.recipients}") from error
        raise
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            raise PermanentSendError(f"{error.smtp_code} {error.smtp_error!r}") from error
        raise


def send_through_backend(delivery: Delivery, outgoing: Outgoing) -> None:
    """Hand the email to a Django backend (a provider's API through django-anymail)."""
    email = build_email(delivery, outgoing)
    try:
        with get_connection(fail_silently=False) as connection:
            sent = connection.send_messages([email])
    except Exception as error:
        if sent_maybe(error):
            raise UnconfirmedSendError(f"{type(error).__name__}: {error}") from error
        raise
    if sent != 1:
        raise RuntimeError("the email backend did not accept the message")
    provider_id = provider_message_id(email)
    if provider_id:
        delivery.provider_message_id = provider_id[:200]
        delivery.save(update_fields=["provider_message_id"])


def sent_maybe(error: Exception) -> bool:
    """A provider's API that timed out reading the answer may have taken the message."""
    import requests

    cause = error.__cause__ or error.__context__
    return isinstance(cause, requests.ReadTimeout)


def provider_message_id(email: EmailMessage) -> str:
    """The id a django-anymail provider gave the send (its webhooks name it), else ""."""
    status = getattr(email, "anymail_status", None)
    if status is None:
        return ""
    return status.message_id or ""
