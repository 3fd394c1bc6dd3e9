"""The public survey page, reached from a signed link in the survey email: no login.

A GET never records anything: mail scanners and link prefetchers open every link of an
email, and would otherwise answer for the customer (with the first link, "very satisfied").
The link's score is pre-selected and one button posts it, with a CSRF token; the comment
box is on the same page and stays open after the answer.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from comptoir.customers.public_pages import speak_customer_language
from comptoir.surveys import links, services
from comptoir.surveys.forms import CommentForm, RatingForm
from comptoir.surveys.models import Rating, SatisfactionSurvey


def preselected_rating(request: HttpRequest) -> int | None:
    note = request.GET.get("note", "")
    return int(note) if note.isdigit() and int(note) in Rating.values else None


def render_page(
    request: HttpRequest,
    survey: SatisfactionSurvey,
    form: RatingForm | CommentForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "survey": survey,
        "form": form,
        "support_name": settings.COMPTOIR_SUPPORT_NAME,
    }
    return render(request, "surveys/answer.html", context, status=status)


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The survey: the question with the link's score pre-selected, then thanks and a comment."""
    check = links.check_token(token)
    if check.expired:
        context = {"support_name": settings.COMPTOIR_SUPPORT_NAME}
        return render(request, "surveys/expired.html", context, status=410)
    if check.survey is None:
        raise Http404("unknown or altered link")
    survey = check.survey
    speak_customer_language(request, survey.customer)

    if survey.is_answered:
        if request.method == "GET":
            return render_page(request, survey, CommentForm(initial={"comment": survey.comment}))
        comment_form = CommentForm(request.POST)
        if not comment_form.is_valid():
            return render_page(request, survey, comment_form, status=400)
        services.update_comment(survey=survey, comment=comment_form.cleaned_data["comment"])
        messages.success(request, _("Thank you for your comment."))
        return redirect("surveys:answer", token=token)

    if request.method == "GET":
        return render_page(
            request, survey, RatingForm(initial={"rating": preselected_rating(request)})
        )
    form = RatingForm(request.POST)
    if not form.is_valid():
        return render_page(request, survey, form, status=400)
    services.record_rating(
        survey=survey, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
    )
    messages.success(request, _("Thank you, your answer has been recorded."))
    return redirect("surveys:answer", token=token)
