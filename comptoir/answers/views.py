"""HTTP views of ready answers: parse, authorise, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.agents.models import Agent
from comptoir.answers import placeholders, queries, services
from comptoir.conversations import queries as conversation_queries
from comptoir.conversations import views as conversation_views
from comptoir.conversations.forms import ReplyForm


class AgentRequest(HttpRequest):
    user: Agent


@login_required
@require_GET
def canned_responses(request: AgentRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    responses = queries.list_canned_responses(request.user)
    if search:
        responses = responses.filter(title__icontains=search) | responses.filter(
            body__icontains=search
        )
    return render(
        request,
        "answers/canned_responses.html",
        {
            "responses": responses,
            "search": search,
            "placeholders": placeholders.PLACEHOLDERS,
        },
    )


@login_required
@require_GET
def rendered_response(request: AgentRequest, pk: int, response_pk: int) -> JsonResponse:
    """The canned response filled in for this conversation, for the reply box."""
    conversation = conversation_queries.get_conversation(pk, agent=request.user)
    response = queries.get_canned_response(response_pk, agent=request.user)
    text = services.render_canned_response(
        response=response, conversation=conversation, agent=request.user
    )
    return JsonResponse({"title": response.title, "text": text})


@login_required
@require_GET
def suggested_responses(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = conversation_queries.get_conversation(pk, agent=request.user)
    return render(
        request,
        "answers/suggestions.html",
        {
            "conversation": conversation,
            "suggestions": queries.list_suggested_responses(conversation, agent=request.user),
        },
    )


@login_required
@require_POST
def apply_macro(request: AgentRequest, pk: int, macro_pk: int) -> HttpResponse:
    conversation = conversation_queries.get_conversation(pk, agent=request.user)
    macro = queries.get_macro(macro_pk, agent=request.user)
    try:
        result = services.apply_macro(macro=macro, conversation=conversation, agent=request.user)
    except services.AnswerError as error:
        messages.error(
            request,
            _("The macro was not applied: %(error)s")
            % {"error": conversation_views.error_text(error)},  # type: ignore[arg-type]
        )
        return redirect("conversations:detail", pk=conversation.pk)
    messages.success(request, _("Macro “%(name)s” applied.") % {"name": macro.name})
    if result.reply_text:
        # The reply box comes back filled: the agent reads and edits before sending.
        conversation = conversation_queries.get_conversation(pk, agent=request.user)
        return conversation_views.render_conversation(
            request,  # type: ignore[arg-type]
            conversation,
            reply_form=ReplyForm(initial={"text": result.reply_text}),
        )
    return redirect("conversations:detail", pk=conversation.pk)


@login_required
@require_POST
def take_over(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = conversation_queries.get_conversation(pk, agent=request.user)
    services.take_over_conversation(conversation=conversation, agent=request.user)
    messages.success(request, _("You took over this conversation."))
    return redirect("conversations:detail", pk=conversation.pk)
