"""The marketing topics a customer can choose in the preference centre (COMPTOIR_MARKETING_TOPICS)."""

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Labels for the usual topics; a company adding its own code sees it shown as written.
KNOWN_TOPIC_LABELS: dict[str, Promise] = {
    "offers": _("Offers and promotions"),
    "news": _("News"),
    "events": _("Events and invitations"),
    "advice": _("Advice and tips"),
}


def marketing_topics() -> list[tuple[str, str | Promise]]:
    """Return the configured topics as (code, label), in the configured order."""
    return [
        (code, KNOWN_TOPIC_LABELS.get(code, code)) for code in settings.COMPTOIR_MARKETING_TOPICS
    ]
