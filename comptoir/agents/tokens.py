"""API tokens: creation (the token is shown once), lookup by hash, and the scopes they carry."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from comptoir.agents.models import Agent, ApiToken

TOKEN_PREFIX = "cpt_"
# last_used_at is a hint for admins, not an access log: one write a minute per token at most.
LAST_USED_PRECISION = timedelta(minutes=1)


class UnknownScope(ValueError):
    """A scope that no endpoint checks was asked for."""


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # the only time the full token exists outside the caller's system


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(
    *, name: str, scopes: list[str], created_by: Agent | None = None
) -> CreatedToken:
    """Create a token with these scopes; the returned secret is never stored."""
    unknown = sorted(set(scopes) - set(ApiToken.Scope.values))
    if unknown:
        raise UnknownScope(f"unknown scope: {', '.join(unknown)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(secret),
        scopes=sorted(set(scopes)),
        created_by=created_by,
    )
    return CreatedToken(token=token, secret=secret)


def find_active_token(secret: str) -> ApiToken | None:
    """Return the unrevoked token with this secret, noting its use; None if there is none."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.filter(token_hash=hash_token(secret), revoked_at=None).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at=None) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke_api_token(*, token: ApiToken) -> None:
    """Stop a token working; the row stays so that its history can be read."""
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
