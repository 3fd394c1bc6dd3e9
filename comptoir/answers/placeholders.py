"""Placeholders of canned responses: {{ prenom }} replaced from a fixed list of values.

Canned responses are written by users, so they are not templates: Django's template engine
can reach attributes and methods of whatever it is given, and is not sandboxed. Here a
placeholder is a bare name looked up in a dict of strings built below; anything else,
`{{ settings.SECRET_KEY }}` or `{{ prenom.__class__ }}`, is left as typed. Values are
inserted in one pass, so a customer named "{{ service }}" stays literally so.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from comptoir.agents.models import Agent
from comptoir.conversations.models import Conversation
from comptoir.customers.profile import greeting

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
ANY_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")


@dataclass(frozen=True)
class Placeholder:
    name: str
    description: str


# French names: the responses are written in French by the company's own people.
PLACEHOLDERS = [
    Placeholder("salutation", _('"Bonjour Jeanne," or "Bonjour," when the first name is unknown')),
    Placeholder("prenom", _("The customer's first name (empty when unknown)")),
    Placeholder("nom", _("The customer's last name")),
    Placeholder("reference", _("The conversation reference, e.g. [#1234]")),
    Placeholder("sujet", _("The conversation subject")),
    Placeholder("conseiller", _("The agent's first name (the service name when automatic)")),
    Placeholder("service", _("The customer service's name")),
    Placeholder("magasin", _("The customer's local store")),
    Placeholder("magasin_ville", _("The local store's city")),
    Placeholder("magasin_telephone", _("The local store's phone number")),
    Placeholder("magasin_horaires", _("The local store's opening hours")),
]
NAMES = frozenset(placeholder.name for placeholder in PLACEHOLDERS)


def values_for(conversation: Conversation, agent: Agent | None) -> dict[str, str]:
    """Return the value of every placeholder for this conversation, answered by this agent
    (None for an automatic answer)."""
    customer = conversation.customer
    first_name = customer.first_name.strip()
    store = customer.store
    service = settings.COMPTOIR_SUPPORT_NAME
    return {
        "salutation": greeting(first_name),
        "prenom": first_name,
        "nom": customer.last_name.strip(),
        "reference": conversation.reference,
        "sujet": conversation.subject,
        "conseiller": (agent.first_name or agent.get_username()) if agent else service,
        "service": service,
        "magasin": store.name if store else "",
        "magasin_ville": store.city if store else "",
        "magasin_telephone": store.phone if store else "",
        "magasin_horaires": store.opening_hours if store else "",
    }


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each known placeholder of `text` by its value; leave anything else as typed."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return PLACEHOLDER.sub(replace, text)


def find_unknown(text: str) -> list[str]:
    """Return the placeholders of `text` that will not be replaced, as typed, for a form error."""
    unknown = []
    for match in ANY_PLACEHOLDER.finditer(text):
        known = PLACEHOLDER.fullmatch(match.group(0))
        if not known or known.group(1) not in NAMES:
            unknown.append(match.group(0))
    return unknown
