"""The quality gate at send time: a template version is checked once, not once per customer.

The gate's rules read what the template makes of any customer (its links, its blocks, its
subject, its greeting), so every customer's rendering of one version gets the same verdict;
checking the version once keeps a campaign's cost per message independent of the gate's
(spelling, links).

An email version is checked as it leaves: rendered (its layout and blocks in place) for a
named sample customer with the template's sample event, exactly as the preview shows it, with
the sender and the List-Unsubscribe headers the sending path gives it. Its MJML source alone
has neither: a call to action in an mj-button, an unsubscribe link in the footer block are
not links there.
"""

import time
from email.utils import formataddr

from django.conf import settings

from comptoir.consents.links import list_unsubscribe_headers
from comptoir.customers.models import Customer
from comptoir.messaging.models import MessageKind, MessageTemplateVersion
from comptoir.messaging.quality_gate import ERROR, Draft, Finding, check_message
from comptoir.messaging.rendering import GATE_KIND, RenderedMessage, TemplateError, render_message

# Whom a version is rendered for: a first name, so that the greeting is personal, as it is
# for most customers (an unknown first name is a warning, never an error).
SAMPLE_CUSTOMER_FIELDS = {"pk": 0, "first_name": "Camille", "last_name": "Martin"}


def gate_findings(rendered: RenderedMessage, customer: Customer) -> list[Finding]:
    """What the quality gate says of the email as the sending path will send it."""
    draft = Draft(
        channel="email",
        kind=rendered.kind,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        from_address=formataddr(
            (settings.COMPTOIR_SUPPORT_NAME, settings.COMPTOIR_SUPPORT_ADDRESS)
        ),
        headers=list_unsubscribe_headers(customer, rendered.purpose),
    )
    return check_message(draft)


# A version is only ever added, never changed, but the blocks it includes and the tone
# charter can be edited: a verdict is kept this long, then asked again.
VERDICT_SECONDS = 60
VERDICTS: dict[tuple[int, str], tuple[float, tuple[Finding, ...]]] = {}


def blocking_findings(version_id: int, channel: str) -> tuple[Finding, ...]:
    """Return the errors that stop this template version from being sent on the channel.

    Kept a minute per process (VERDICT_SECONDS). A version that cannot be rendered is left
    to the renderer, which refuses each delivery with the error (dispatch).
    """
    now = time.monotonic()
    kept = VERDICTS.get((version_id, channel))
    if kept is not None and kept[0] > now:
        return kept[1]
    findings = check_version(version_id, channel)
    VERDICTS[(version_id, channel)] = (now + VERDICT_SECONDS, findings)
    return findings


def check_version(version_id: int, channel: str) -> tuple[Finding, ...]:
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
        sample = Customer(**SAMPLE_CUSTOMER_FIELDS)
        try:
            rendered = render_message(
                template=template,
                customer=sample,
                event=template.sample_event,
                subject=version.subject,
                body=version.body,
            )
        except TemplateError:
            return ()
        findings = gate_findings(rendered, sample)
    else:
        return ()
    return tuple(f for f in findings if f.severity == ERROR)
