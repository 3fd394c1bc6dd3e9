"""HTTP views of insights: the KPI dashboard, its CSV, and the quality review screens.

Managers only: an admin sees every team, a team lead the teams they lead; a plain agent
gets 403.
"""

import random
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods

from comptoir.agents.models import Agent
from comptoir.conversations import queries as conversation_queries
from comptoir.insights import charts, kpi_export, queries, services
from comptoir.insights.forms import (
    KpiFilterForm,
    QualityReviewForm,
    SampleForm,
    default_period,
)
from comptoir.insights.kpis import Granularity, Selection, build_dashboard
from comptoir.insights.models import CRITERIA


class AgentRequest(HttpRequest):
    user: Agent


# Listed for makemessages: the service's errors, shown translated.
SERVICE_ERRORS = (
    gettext_noop("This conversation has not been answered yet."),
    gettext_noop("Every criterion needs a score from 1 to 4."),
    gettext_noop("This conversation has already been reviewed."),
)
# The link in base.html's navigation; kept in this app's catalogue.
NAVIGATION_LABEL = gettext_noop("Figures")


def forbidden() -> HttpResponse:
    return HttpResponseForbidden(_("Only an administrator or a team lead may see this page."))


def bound_data(request: AgentRequest, **extra: object) -> dict[str, object]:
    date_from, date_to = default_period()
    data: dict[str, object] = {"date_from": date_from, "date_to": date_to, **extra}
    data.update(request.GET.dict())
    return data


def parse_selection(request: AgentRequest) -> tuple[KpiFilterForm, Selection | None]:
    teams = queries.list_managed_teams(request.user)
    form = KpiFilterForm(bound_data(request, granularity=Granularity.WEEK.value), teams=teams)
    if not form.is_valid():
        return form, None
    chosen = form.cleaned_data["team"]
    return form, Selection(
        date_from=form.cleaned_data["date_from"],
        date_to=form.cleaned_data["date_to"],
        granularity=Granularity(form.cleaned_data["granularity"]),
        # An admin's "all teams" includes conversations no team holds; a lead's is theirs.
        teams=[chosen] if chosen else (None if request.user.is_admin else list(teams)),
        channel=form.cleaned_data["channel"],
        category=form.cleaned_data["category"],
    )


def bucket_label(start: date, granularity: Granularity) -> str:
    if granularity == Granularity.MONTH:
        return start.strftime("%m/%Y")
    return start.strftime("%d/%m")


@login_required
@require_GET
def dashboard(request: AgentRequest) -> HttpResponse:
    if not queries.is_manager(request.user):
        return forbidden()
    form, selection = parse_selection(request)
    context: dict[str, object] = {"form": form}
    if selection is not None:
        board = build_dashboard(selection, agent=request.user)
        labels = [bucket_label(row.bucket, selection.granularity) for row in board.period_totals
                  if row.bucket]  # fmt: skip
        context |= {
            "board": board,
            "volume_chart": charts.grouped_bars(
                labels,
                {
                    "received": [row.figures.received for row in board.period_totals],
                    "answered": [row.figures.answered for row in board.period_totals],
                },
            ),
            "response_chart": charts.grouped_bars(
                charts.bin_labels(),
                {"responses": charts.histogram_counts(board.total.figures.first_response_hours)},
            ),
            "criteria": [_("Tone"), _("Spelling"), _("Accuracy"), _("Personalisation")],
            "export_query": request.GET.urlencode(),
        }
    return render(request, "insights/dashboard.html", context)


@login_required
@require_GET
def export_kpis(request: AgentRequest) -> HttpResponse:
    if not queries.is_manager(request.user):
        return forbidden()
    form, selection = parse_selection(request)
    if selection is None:
        return HttpResponse(_("The period is not valid."), status=400)
    board = build_dashboard(selection, agent=request.user)
    response = HttpResponse(kpi_export.write_csv(board), content_type="text/csv; charset=utf-8")
    filename = f"kpis-{selection.date_from}-{selection.date_to}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


@login_required
@require_GET
def quality_sample(request: AgentRequest) -> HttpResponse:
    if not queries.is_manager(request.user):
        return forbidden()
    if "seed" not in request.GET:
        # A fresh draw; the seed then stays in the address so a reload shows the same sample.
        query = request.GET.copy()
        query["seed"] = str(random.randrange(1, 10**9))
        return redirect(f"{request.path}?{query.urlencode()}")
    teams = queries.list_managed_teams(request.user)
    form = SampleForm(bound_data(request, size=10), teams=teams)
    sample = []
    if form.is_valid():
        start, end = local_bounds(form.cleaned_data["date_from"], form.cleaned_data["date_to"])
        chosen = form.cleaned_data["team"]
        sample = queries.sample_for_review(
            agent=request.user,
            teams=teams.filter(pk=chosen.pk) if chosen else teams,
            start=start,
            end=end,
            size=form.cleaned_data["size"],
            seed=form.cleaned_data["seed"] or 1,
        )
    return render(
        request,
        "insights/quality_sample.html",
        {"form": form, "sample": sample, "query": request.GET.urlencode()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_conversation(request: AgentRequest, pk: int) -> HttpResponse:
    if not queries.is_manager(request.user):
        return forbidden()
    conversation = conversation_queries.get_conversation(pk, agent=request.user)
    if not queries.may_review(request.user, conversation):
        return forbidden()
    back = request.GET.get("back", "")
    form = QualityReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.record_quality_review(
                    conversation=conversation,
                    reviewer=request.user,
                    scores={name: form.cleaned_data[name] for name in CRITERIA},
                    comment=form.cleaned_data["comment"],
                )
            except services.InsightsError as error:
                messages.error(request, _(str(error)))
            else:
                messages.success(request, _("Review saved."))
                sample_url = reverse("insights:quality")
                return redirect(f"{sample_url}?{back}" if back else sample_url)
        status = 400
    return render(
        request,
        "insights/review.html",
        {
            "conversation": conversation,
            "thread": conversation_queries.list_thread(conversation),
            "form": form,
            "back": back,
            "existing": getattr(conversation, "quality_review", None),
        },
        status=status,
    )
