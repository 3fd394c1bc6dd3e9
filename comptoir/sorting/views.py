"""HTTP views of sorting: a manager corrects a conversation's classification."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from comptoir.agents.models import Agent
from comptoir.conversations import queries as conversation_queries
from comptoir.sorting import services
from comptoir.sorting.forms import CorrectionForm


class AgentRequest(HttpRequest):
    user: Agent


@login_required
@require_POST
def correct_classification(request: AgentRequest, pk: int) -> HttpResponse:
    # Correcting trains the model every agent's conversations are sorted by: managers only.
    if not request.user.is_admin:
        return HttpResponseForbidden(_("Only a manager may correct a classification."))
    conversation = conversation_queries.get_conversation(pk, agent=request.user)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown category, level, sentiment or urgency."))
        return redirect("conversations:detail", pk=conversation.pk)
    try:
        services.correct_classification(
            conversation=conversation, agent=request.user, **form.cleaned_data
        )
    except services.SortingError:
        messages.error(request, _("This conversation cannot be classified yet."))
        return redirect("conversations:detail", pk=conversation.pk)
    messages.success(request, _("Classification corrected; it will be used at the next training."))
    return redirect("conversations:detail", pk=conversation.pk)
