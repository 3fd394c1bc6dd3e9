"""Agent pages of letters: the letters to print, a letter's PDF, and "printed" (admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.agents.models import Agent
from comptoir.letters import queries, services


class AgentRequest(HttpRequest):
    user: Agent


def require_admin(request: AgentRequest) -> None:
    # Letters carry customers' postal addresses and documents to sign: the company's own
    # admins print them, never an outsourced agent.
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
@require_GET
def letter_list(request: AgentRequest) -> HttpResponse:
    require_admin(request)
    return render(
        request,
        "letters/letter_list.html",
        {
            "to_print": queries.list_letters_to_print(),
            "printed": queries.list_printed_letters(),
        },
    )


@login_required
@require_GET
def letter_download(request: AgentRequest, pk: int) -> FileResponse:
    require_admin(request)
    letter = queries.get_letter(pk)
    path = queries.letter_file(letter)
    if not path.is_file():
        raise Http404
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"courrier-{letter.delivery_id}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_POST
def letter_printed(request: AgentRequest, pk: int) -> HttpResponse:
    require_admin(request)
    letter = queries.get_letter(pk)
    if services.mark_letter_printed(letter=letter, agent=request.user):
        messages.success(request, _("Letter marked as printed."))
    return redirect("letters:list")
