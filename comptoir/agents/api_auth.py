"""Authentication of the JSON API: a bearer token, and the scope each endpoint needs."""

from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from comptoir.agents.models import ApiToken
from comptoir.agents.tokens import find_active_token


class TokenAuth(HttpBearer):
    """Let a request through if it carries an active token holding `scope`.

    No token or an unknown one: 401 (ninja's AuthenticationError); a valid token without the
    scope: 403, naming the scope, so that whoever set up the integration knows what to ask for.
    """

    def __init__(self, scope: str) -> None:
        if scope not in ApiToken.Scope.values:
            raise ValueError(f"unknown scope {scope}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = find_active_token(token)
        if api_token is None:
            return None
        if self.scope not in api_token.scopes:
            raise AuthorizationError(message=f"this token lacks the scope '{self.scope}'")
        return api_token


def scope(name: str) -> TokenAuth:
    return TokenAuth(name)
