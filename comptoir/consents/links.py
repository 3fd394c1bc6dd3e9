"""Signed links to the preference centre and the one-click unsubscribe (RFC 8058).

A link names the customer and is signed with the secret key and a salt of its own; it does not
expire, because a customer must be able to leave from an email of last year. A new secret key
breaks old links unless the old key is kept in SECRET_KEY_FALLBACKS.
"""

from urllib.parse import quote

from django.conf import settings
from django.core import signing

from comptoir.consents.models import Purpose
from comptoir.core.signing import Signer, public_url_with
from comptoir.customers.models import Customer

SALT = "comptoir.consents.link"


def customer_token(customer: Customer) -> str:
    """Return the signed token naming this customer in preference-centre links."""
    return Signer(salt=SALT).sign(str(customer.pk))


def find_customer_by_token(token: str) -> Customer | None:
    """Return the customer a token names, or None if it was tampered with or is unknown."""
    try:
        customer_id = Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Customer.objects.filter(pk=int(customer_id)).first()


def preference_url(customer: Customer) -> str:
    return public_url_with("consents:preferences", customer_token(customer))


def one_click_url(customer: Customer, token: str | None = None) -> str:
    return public_url_with("consents:one_click", token or customer_token(customer))


def list_unsubscribe_headers(customer: Customer, purpose: str) -> dict[str, str]:
    """Return the List-Unsubscribe headers a message of this purpose carries.

    Service and transactional messages carry none: the customer cannot leave their order
    confirmation, and offering it would teach them that the button does nothing. The https URL
    comes first and alone carries the one-click promise; Gmail and Yahoo require it from bulk
    senders. The URL holds no space, so a folding mail library can only break the header
    between the two <…> items, never inside one (a folded URL is ignored by Gmail).
    """
    if purpose == Purpose.SERVICE:
        return {}
    token = customer_token(customer)
    mailto = f"mailto:{settings.COMPTOIR_SUPPORT_ADDRESS}?subject={quote(f'unsubscribe {token}')}"
    return {
        "List-Unsubscribe": f"<{one_click_url(customer, token)}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
