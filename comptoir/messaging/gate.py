"""The quality gate at send time: a template version is checked once, not once per customer.

The gate's rules read the template (its links, its blocks, its subject), so every customer's
rendering of one version gets the same verdict; checking the version once keeps a campaign's
send cost per message independent of the gate's (spelling, links).
"""

from functools import lru_cache

from comptoir.messaging.models import MessageKind, MessageTemplateVersion
from comptoir.messaging.quality_gate import Draft, Finding, check_message
from comptoir.messaging.rendering import GATE_KIND


@lru_cache(maxsize=256)
def blocking_findings(version_id: int, channel: str) -> tuple[Finding, ...]:
    """Return the errors that stop this template version from being sent on the channel."""
    version = MessageTemplateVersion.objects.select_related("template").get(pk=version_id)
    template = version.template
    if channel == "sms":
        draft = Draft(
            channel="sms",
            kind=GATE_KIND[MessageKind(template.kind)],
            text=template.sms_text,
            is_template=True,
        )
    elif channel == "email":
        draft = Draft(
            channel="email",
            kind=GATE_KIND[MessageKind(template.kind)],
            subject=version.subject,
            html=version.body,
            is_template=True,
        )
    else:
        return ()
    return tuple(f for f in check_message(draft) if f.severity == "error")
