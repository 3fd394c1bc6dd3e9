"""Start-up checks of the email channel's settings."""

import re

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

# A customer's answer must reach the service: a no-reply sender is a dead end [000].
NO_REPLY_PATTERN = re.compile(
    r"(no|ne|do|dont)[-_.]?(pas[-_.]?)?(not[-_.]?)?(reply|repondre|répondre)", re.IGNORECASE
)


def is_no_reply_address(address: str) -> bool:
    local_part = address.rpartition("@")[0] or address
    return bool(NO_REPLY_PATTERN.search(local_part))


@register()
def check_support_address_accepts_replies(**kwargs: object) -> list[CheckMessage]:
    address = settings.COMPTOIR_SUPPORT_ADDRESS
    if "@" not in address:
        return [Error(f"COMPTOIR_SUPPORT_ADDRESS is not an email address: {address!r}", id="mail.E001")]
    if is_no_reply_address(address):
        return [
            Error(
                f"COMPTOIR_SUPPORT_ADDRESS {address!r} is a no-reply address.",
                hint="Replies are sent from the team's address so customers can answer: "
                "use an address the service reads, e.g. support@your-domain.",
                id="mail.E002",
            )
        ]
    return []
