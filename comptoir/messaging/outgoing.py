"""What a delivery carries, built once for every channel adapter: subject, text, HTML, headers.

An agent's reply is read from its conversation message; a templated message is rendered
again from the version it was queued with, so a retry sends the same text and the database
does not keep 100,000 copies of a campaign's HTML.
"""

from dataclasses import dataclass, field
from email.utils import formataddr

from django.conf import settings

from comptoir.consents.links import list_unsubscribe_headers
from comptoir.conversations.reply_threading import reply_address
from comptoir.messaging.models import Delivery
from comptoir.messaging.rendering import render_message, render_text
from comptoir.messaging.tracking import instrument_html


@dataclass(frozen=True)
class Outgoing:
    subject: str
    text: str
    html: str
    from_name: str
    from_address: str
    reply_to: str
    # Without angle brackets; stable for a delivery, so a retry carries the same one.
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def from_header(self) -> str:
        return formataddr((self.from_name, self.from_address))


def outgoing_for(delivery: Delivery) -> Outgoing:
    """Build what this delivery sends; raises rendering.TemplateError for a broken template."""
    if delivery.message_id is not None:
        return outgoing_for_reply(delivery)
    return outgoing_for_template(delivery)


def outgoing_for_reply(delivery: Delivery) -> Outgoing:
    message = delivery.message
    assert message is not None
    # A message may name its own Reply-To (a forward to an internal service does).
    reply_to = message.reply_to[0] if message.reply_to else reply_address(message.conversation_id)
    headers: dict[str, str] = {}
    if message.in_reply_to:
        headers["In-Reply-To"] = f"<{message.in_reply_to}>"
    if message.references:
        headers["References"] = " ".join(f"<{r}>" for r in message.references)
    if message.auto_submitted:
        # RFC 3834: tells the customer's own autoresponder not to answer us back.
        headers["Auto-Submitted"] = "auto-replied"
    return Outgoing(
        subject=message.subject,
        text=message.text,
        html="",
        from_name=message.from_name,
        from_address=message.from_address,
        reply_to=formataddr((message.from_name, reply_to)),
        message_id=message.message_id,
        headers=headers,
    )


def outgoing_for_template(delivery: Delivery) -> Outgoing:
    version, customer = delivery.template_version, delivery.customer
    assert version is not None and customer is not None and delivery.template is not None
    rendered = render_message(
        template=delivery.template,
        customer=customer,
        event=delivery.event,
        extra=delivery.context,
        subject=version.subject,
        body=version.body,
    )
    text = rendered.text
    if delivery.channel == "sms":
        text = render_text(
            template=delivery.template,
            customer=customer,
            event=delivery.event,
            extra=delivery.context,
            source=version.sms_text,
        )
    headers = {"Auto-Submitted": "auto-generated"}
    headers.update(list_unsubscribe_headers(customer, delivery.purpose))
    return Outgoing(
        subject=rendered.subject,
        # The text part keeps direct links (see messaging.tracking).
        text=text,
        html=instrument_html(rendered.html, delivery),
        from_name=settings.COMPTOIR_SUPPORT_NAME,
        from_address=settings.COMPTOIR_SUPPORT_ADDRESS,
        # A relationship message is answered like any email: the answer opens a conversation.
        reply_to=settings.COMPTOIR_SUPPORT_ADDRESS,
        message_id=delivery_message_id(delivery),
        headers=headers,
    )


def delivery_message_id(delivery: Delivery) -> str:
    domain = settings.COMPTOIR_SUPPORT_ADDRESS.rpartition("@")[2] or "comptoir.localhost"
    return f"delivery.{delivery.pk}.{delivery.created_at:%Y%m%d%H%M%S}@{domain}"
