"""Signed links: Django's Signer with its HMAC key derived once, and our public URLs.

Django's salted_hmac hashes the salt and the secret key again for every signature; a
campaign signs a dozen values a message (tracking links, unsubscribe, preference centre,
bounce address, suppression hashes), and deriving the key was half the cost of each. The
tokens are Django's, byte for byte (a test checks it): they verify with django.core.signing
and honour SECRET_KEY_FALLBACKS.
"""

import hashlib
import hmac
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.encoding import force_bytes


class Signer(signing.Signer):
    def signature(self, value: str | bytes, key: str | bytes | None = None) -> str:
        mac = salted_hmac(self.salt + "signer", value, key or self.key, algorithm=self.algorithm)
        return signing.b64_encode(mac.digest()).decode()


def salted_hmac(
    key_salt: str, value: str | bytes, secret: str | bytes | None = None, *, algorithm: str
) -> "hmac.HMAC":
    """django.utils.crypto.salted_hmac, the same HMAC, its key derived once."""
    mac = keyed_hmac(key_salt, settings.SECRET_KEY if secret is None else secret, algorithm)
    mac = mac.copy()
    mac.update(force_bytes(value))
    return mac


@lru_cache(maxsize=64)
def keyed_hmac(key_salt: str, secret: str | bytes, algorithm: str) -> "hmac.HMAC":
    """An HMAC keyed as salted_hmac keys it, to be copied for each message."""
    hasher = getattr(hashlib, algorithm)
    key = hasher(force_bytes(key_salt) + force_bytes(secret)).digest()
    return hmac.new(key, digestmod=hasher)


def public_url_with(url_name: str, token: str) -> str:
    """The public address of one of our pages whose only argument is a token."""
    before, after = path_around_token(url_name)
    return f"{settings.PUBLIC_URL}{before}{token}{after}"


@lru_cache(maxsize=16)
def path_around_token(url_name: str) -> tuple[str, str]:
    # reverse() costs more than the signature; a campaign email has a dozen such links.
    before, _, after = reverse(url_name, args=["TOKEN"]).partition("TOKEN")
    return before, after
