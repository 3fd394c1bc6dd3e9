"""DKIM signatures (RFC 6376) on the email we send ourselves over SMTP, with dkimpy.

The signature covers the final bytes, the List-Unsubscribe headers included: Gmail and Yahoo
honour a one-click unsubscribe only when the DKIM signature covers both of its headers
(RFC 8058). A provider reached through django-anymail signs with its own key instead.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import dkim
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The headers a signature covers, when present. From is required; the others are what an
# intermediary must not be able to change or add unnoticed (a header listed but absent is
# signed as empty, which forbids adding it later).
SIGNED_HEADERS = (
    b"From",
    b"To",
    b"Cc",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"Reply-To",
    b"In-Reply-To",
    b"References",
    b"MIME-Version",
    b"Content-Type",
    b"Content-Transfer-Encoding",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
    b"Feedback-ID",
    b"Auto-Submitted",
)


@dataclass(frozen=True)
class DkimKey:
    domain: bytes
    selector: bytes
    private_key: bytes

    def sign(self, raw: bytes) -> bytes:
        """Return the message with its DKIM-Signature header in front."""
        signature = dkim.sign(
            raw,
            self.selector,
            self.domain,
            self.private_key,
            include_headers=headers_present(raw),
            # relaxed/relaxed survives the whitespace changes relays make.
            canonicalize=(b"relaxed", b"relaxed"),
        )
        return signature + raw


def headers_present(raw: bytes) -> list[bytes]:
    head = b"\n" + raw.split(b"\r\n\r\n", 1)[0].lower()
    return [name for name in SIGNED_HEADERS if b"\n" + name.lower() + b":" in head]


@lru_cache(maxsize=4)
def load_key(domain: str, selector: str, private_key: str, key_file: str) -> DkimKey | None:
    if not domain:
        return None
    if not selector:
        raise ImproperlyConfigured("COMPTOIR_DKIM_DOMAIN is set: set COMPTOIR_DKIM_SELECTOR too")
    pem = private_key.encode() if private_key else b""
    if not pem and key_file:
        pem = Path(key_file).read_bytes()
    if not pem:
        raise ImproperlyConfigured(
            "COMPTOIR_DKIM_DOMAIN is set: set COMPTOIR_DKIM_PRIVATE_KEY or _FILE too"
        )
    key = DkimKey(domain.encode(), selector.encode(), pem)
    # Fails now, at the first send, rather than with a half-built message.
    dkim.crypto.parse_pem_private_key(pem)
    return key


def configured_key() -> DkimKey | None:
    """Return the signing key from the settings, or None when DKIM signing is off."""
    return load_key(
        settings.COMPTOIR_DKIM_DOMAIN,
        settings.COMPTOIR_DKIM_SELECTOR,
        settings.COMPTOIR_DKIM_PRIVATE_KEY,
        settings.COMPTOIR_DKIM_PRIVATE_KEY_FILE,
    )
