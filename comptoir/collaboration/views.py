"""HTTP views of collaboration: an agent's notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.agents.models import Agent
from comptoir.collaboration import queries, services
from comptoir.collaboration.models import Notification

PAGE_SIZE = 50


class AgentRequest(HttpRequest):
    """A request that login_required let through: its user is an agent."""

    user: Agent


@login_required
@require_GET
def notifications(request: AgentRequest) -> HttpResponse:
    page = Paginator(queries.list_notifications(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "collaboration/notifications.html", {"page": page})


@login_required
@require_GET
def open_notification(request: AgentRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to the note in its conversation."""
    try:
        notification = queries.get_notification(pk, agent=request.user)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
    services.mark_notification_read(notification=notification)
    url = reverse("conversations:detail", args=[notification.conversation_id])
    return redirect(f"{url}#message-{notification.message_id}")


@login_required
@require_POST
def mark_all_read(request: AgentRequest) -> HttpResponse:
    count = services.mark_all_notifications_read(agent=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("collaboration:notifications")
