"""The quality gate at send time: a template version is checked once, not once per customer.

The gate's rules read what the template makes of any customer (its links, its blocks, its
subject, its greeting), so the version is rendered once for a sample customer with its
sample event, exactly as the preview shows it, and the verdict holds for every recipient.
That keeps a campaign's cost per message independent of the gate's (spelling, links).
"""

from functools import lru_cache

from comptoir.consents.links import list_unsubscribe_headers
from comptoir.customers.models import Customer
from comptoir.messaging.models import MessageKind, MessageTemplateVersion
from comptoir.messaging.quality_gate import ERROR, Draft, Finding, check_message
from comptoir.messaging.rendering import GATE_KIND, RenderedMessage, render_message

# Whom the version is rendered for: a name, so that the greeting is personalised as it is for
# a customer whose first name is known.
SAMPLE_CUSTOMER = {"first_name": "Camille", "last_name": "Durand", "language": "fr"}


def gate_findings(rendered: RenderedMessage, customer: Customer) -> list[Finding]:
    """What the quality gate says of the email as the sending path will send it."""
    draft = Draft(
        channel="email",
        kind=rendered.kind,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        headers=list_unsubscribe_headers(customer, rendered.purpose),
    )
    return check_message(draft)


@lru_cache(maxsize=256)
def blocking_findings(version_id: int, channel: str) -> tuple[Finding, ...]:
    """Return the errors that stop this template version from being sent on the channel.

    Versions are only ever added, never changed, so the answer can be kept for the process.
    A version that cannot be rendered is left to the renderer, which says why per delivery.
    """
    version = MessageTemplateVersion.objects.select_related("template").get(pk=version_id)
    template = version.template
    if channel == "sms":
        draft = Draft(
            channel="sms",
            kind=GATE_KIND[MessageKind(template.kind)],
            text=version.sms_text,
            is_template=True,
        )
        findings = check_message(draft)
    elif channel == "email":
        sample = Customer(pk=0, **SAMPLE_CUSTOMER)
        rendered = render_message(
            template=template,
            customer=sample,
            event=template.sample_event,
            subject=version.subject,
            body=version.body,
        )
        findings = gate_findings(rendered, sample)
    else:
        return ()
    return tuple(f for f in findings if f.severity == ERROR)
