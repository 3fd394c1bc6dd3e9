"""Per-request hooks of routing: agent presence, and the outsider's gate."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.deprecation import MiddlewareMixin

from comptoir.routing import services
from comptoir.routing.outsiders import ALLOWED, access_of


class AgentPresenceMiddleware(MiddlewareMixin):
    """Note that the signed-in agent is here; one UPDATE a minute at most, none otherwise."""

    def process_request(self, request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            services.note_agent_seen(agent=user)  # type: ignore[arg-type]


class OutsiderGateMiddleware(MiddlewareMixin):
    """Refuse an outsider every page comptoir.routing.outsiders does not allow him.

    The pages he may open still filter what they show (visible_conversations); this gate
    keeps him off the others, including pages added later without a decision.
    """

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_outsider:
            return
        match = request.resolver_match
        if match is None or access_of(match.view_name) not in ALLOWED:
            raise PermissionDenied
