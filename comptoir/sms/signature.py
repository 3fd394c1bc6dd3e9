"""Twilio's webhook signature (X-Twilio-Signature), as Twilio documents it.

The signed string is the full URL Twilio called, then every POST parameter sorted by name,
each as name + value with no separator; the signature is the base64 of its HMAC-SHA1 keyed
with the account's auth token. Written here rather than taken from Twilio's SDK: these ten
lines are all we would use of a package that brings its own HTTP stack (aiohttp, requests).
tests/sms/test_signature.py checks them against the example of Twilio's documentation.
"""

import base64
import hashlib
import hmac
from collections.abc import Iterable


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Return the X-Twilio-Signature Twilio sends for this URL and these POST parameters."""
    signed = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def is_signed_by_twilio(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str
) -> bool:
    """Say whether the request carries the signature of the holder of the auth token."""
    if not auth_token or not signature:
        return False
    expected = twilio_signature(auth_token, url, params)
    return hmac.compare_digest(expected.encode(), signature.encode())
