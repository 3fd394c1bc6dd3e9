"""HTTP views of forwards: parse, authorise, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_POST

from comptoir.agents.models import Agent
from comptoir.conversations import queries as conversation_queries
from comptoir.escalations import queries, services
from comptoir.escalations.forms import AnswerForm, ForwardForm
from comptoir.escalations.models import ForwardRequest


class AgentRequest(HttpRequest):
    """A request that login_required let through: its user is an agent."""

    user: Agent


# The services raise ForwardError with English text, listed here for the catalogue.
SERVICE_ERRORS = (
    gettext_noop("The question is empty."),
    gettext_noop("The answer is empty."),
    gettext_noop("This internal service is no longer available."),
    gettext_noop("The conversation is already with this team."),
    gettext_noop("The conversation already waits on a team."),
    gettext_noop("This request is no longer waiting for an answer."),
)


def conversation_url(forward: ForwardRequest) -> str:
    url = reverse("conversations:detail", args=[forward.conversation_id])
    return f"{url}#forward-{forward.pk}"


@login_required
@require_POST
def forward(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = conversation_queries.get_conversation(pk, agent=request.user)
    form = ForwardForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for field in form.errors.values() for e in field)
        messages.error(
            request, _("The conversation was not forwarded: %(error)s") % {"error": errors}
        )
        return redirect("conversations:detail", pk=conversation.pk)
    try:
        forwarded = services.forward_conversation(
            conversation=conversation,
            to=form.cleaned_data["target"],
            question=form.cleaned_data["question"],
            by=request.user,
            due_at=form.cleaned_data["due_at"],
        )
    except services.ForwardError as error:
        messages.error(
            request, _("The conversation was not forwarded: %(error)s") % {"error": _(str(error))}
        )
        return redirect("conversations:detail", pk=conversation.pk)
    messages.success(request, _("Forwarded to %(target)s.") % {"target": forwarded.target_name})
    return redirect(conversation_url(forwarded))


@login_required
@require_POST
def answer(request: AgentRequest, pk: int) -> HttpResponse:
    forwarded = queries.get_forward(pk, agent=request.user)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The answer is empty."))
        return redirect(conversation_url(forwarded))
    try:
        services.answer_forward_request(
            forward=forwarded, agent=request.user, text=form.cleaned_data["text"]
        )
    except services.ForwardError as error:
        messages.error(request, _(str(error)))
        return redirect(conversation_url(forwarded))
    messages.success(request, _("Answer recorded."))
    return redirect(conversation_url(forwarded))


@login_required
@require_POST
def cancel(request: AgentRequest, pk: int) -> HttpResponse:
    forwarded = queries.get_forward(pk, agent=request.user)
    if services.cancel_forward_request(forward=forwarded, agent=request.user):
        messages.success(request, _("Request cancelled."))
    else:
        messages.info(request, _("This request is no longer waiting for an answer."))
    return redirect(conversation_url(forwarded))


@login_required
@require_POST
def mark_read(request: AgentRequest, pk: int) -> HttpResponse:
    forwarded = queries.get_forward(pk, agent=request.user)
    services.mark_answer_read(forward=forwarded)
    if request.POST.get("next") == "list":
        return redirect("escalations:list")
    return redirect(conversation_url(forwarded))


@login_required
@require_GET
def forward_list(request: AgentRequest) -> HttpResponse:
    return render(
        request,
        "escalations/forwards.html",
        {
            "answers": queries.list_answers_to_read(request.user),
            "waiting": queries.list_open_forwards(request.user),
            "now": timezone.now(),
        },
    )
