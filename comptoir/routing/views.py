"""HTTP views of routing: the agent switches between available and away."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from comptoir.agents.models import Agent
from comptoir.routing import services


class AgentRequest(HttpRequest):
    user: Agent


@login_required
@require_POST
def availability(request: AgentRequest) -> HttpResponse:
    value = request.POST.get("availability", "")
    if value not in Agent.Availability.values:
        return HttpResponseBadRequest()
    services.set_availability(agent=request.user, availability=value)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    return redirect(back)
