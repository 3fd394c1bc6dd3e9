"""Campaign pages: list, new, preview, launch, pause/resume/cancel, report and its CSV.
Admins only. What left, campaign by campaign, is on the outbound log (messaging:deliveries)."""

import csv
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.agents.models import Agent
from comptoir.campaigns import queries, services
from comptoir.campaigns.forms import CampaignForm
from comptoir.campaigns.models import Campaign
from comptoir.messaging.gate import blocking_findings, gate_findings
from comptoir.messaging.rendering import TemplateError, render_message


class AgentRequest(HttpRequest):
    user: Agent


def require_admin(request: AgentRequest) -> None:
    # Campaigns reach every customer of a segment and show what each one got: the same
    # admin-only rule as the template editor (messaging.views).
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
@require_GET
def campaign_list(request: AgentRequest) -> HttpResponse:
    require_admin(request)
    return render(request, "campaigns/list.html", {"campaigns": queries.list_campaigns()})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: AgentRequest) -> HttpResponse:
    require_admin(request)
    form = CampaignForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["recipient_list"]
        campaign, resolved = services.create_campaign(
            name=form.cleaned_data["name"],
            template=form.cleaned_data["template"],
            segment=form.cleaned_data["segment"],
            recipient_list=upload.file if upload else None,
            list_name=upload.name if upload else "",
            rate_per_minute=form.cleaned_data["rate_per_minute"],
            topic=form.cleaned_data["topic"],
            defer_when_pressured=form.cleaned_data["defer_when_pressured"],
            details=form.cleaned_data["details"],
            created_by=request.user,
        )
        if resolved is not None and resolved.unknown:
            messages.warning(
                request,
                _("%(count)d lines of the list name no customer: see them below.")
                % {"count": len(resolved.unknown)},
            )
        messages.success(request, _("Campaign saved as a draft."))
        return redirect("campaigns:detail", pk=campaign.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "campaigns/new.html", {"form": form}, status=status)


@login_required
@require_GET
def campaign_detail(request: AgentRequest, pk: int) -> HttpResponse:
    """The campaign, its actions, and its report."""
    require_admin(request)
    campaign = queries.get_campaign(pk)
    return render(
        request,
        "campaigns/detail.html",
        {"campaign": campaign, "report": queries.get_report(campaign)},
    )


def customer_id(value: str | None) -> int | None:
    value = (value or "").strip().lstrip("#")
    return int(value) if value.isdigit() else None


@login_required
@require_GET
def campaign_preview(request: AgentRequest, pk: int) -> HttpResponse:
    """The message as one of the recipients will get it, with the campaign's details."""
    require_admin(request)
    campaign = queries.get_campaign(pk)
    samples = queries.list_sample_recipients(campaign)
    chosen = customer_id(request.GET.get("customer"))
    customer = next((c for c in samples if c.pk == chosen), samples[0] if samples else None)
    context: dict[str, object] = {"campaign": campaign, "samples": samples, "customer": customer}
    if customer is not None:
        try:
            rendered = render_message(
                template=campaign.template, customer=customer, event=campaign.details
            )
        except TemplateError as error:
            context["error"] = str(error)
        else:
            context["rendered"] = rendered
            # With the campaign's details, not the template's sample event: what will leave.
            context["findings"] = gate_findings(rendered, customer)
        context["refusal"] = queries.consent_refusal(campaign, customer, timezone.now())
        context["refusal_label"] = queries.reason_label(context["refusal"] or "")
    return render(request, "campaigns/preview.html", context)


def gate_errors(campaign: Campaign) -> list[str]:
    """The quality gate's blocking errors on the live version: every delivery would stop."""
    version = campaign.template.live_version
    if version is None:
        return [_("The template has no live version.")]
    return [str(f.message) for f in blocking_findings(version.pk, campaign.template.channel)]


@login_required
@require_http_methods(["GET", "POST"])
def campaign_launch(request: AgentRequest, pk: int) -> HttpResponse:
    """GET: the confirmation (recipients, consent forecast, gate); POST: launch."""
    require_admin(request)
    campaign = queries.get_campaign(pk)
    errors = gate_errors(campaign)
    if request.method == "POST":
        if errors:
            messages.error(request, _("The quality gate stops this template: correct it first."))
        elif services.launch_campaign(campaign=campaign):
            messages.success(request, _("Campaign launched: the worker sends it at its rate."))
        else:
            messages.error(request, _("This campaign is not a draft any more."))
        return redirect("campaigns:detail", pk=campaign.pk)
    if campaign.status != Campaign.Status.DRAFT:
        return redirect("campaigns:detail", pk=campaign.pk)
    return render(
        request,
        "campaigns/launch.html",
        {"campaign": campaign, "forecast": queries.forecast_consent(campaign), "errors": errors},
    )


@login_required
@require_POST
def campaign_pause(request: AgentRequest, pk: int) -> HttpResponse:
    require_admin(request)
    campaign = queries.get_campaign(pk)
    if services.pause_campaign(campaign=campaign):
        messages.success(request, _("Campaign paused."))
    else:
        messages.error(request, _("Only a campaign being sent can be paused."))
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_resume(request: AgentRequest, pk: int) -> HttpResponse:
    require_admin(request)
    campaign = queries.get_campaign(pk)
    if services.resume_campaign(campaign=campaign):
        messages.success(request, _("Campaign resumed where it stopped."))
    else:
        messages.error(request, _("Only a paused campaign can be resumed."))
    return redirect("campaigns:detail", pk=campaign.pk)


@login_required
@require_POST
def campaign_cancel(request: AgentRequest, pk: int) -> HttpResponse:
    require_admin(request)
    campaign = queries.get_campaign(pk)
    if services.cancel_campaign(campaign=campaign):
        messages.success(request, _("Campaign cancelled: nothing more will be sent."))
    else:
        messages.error(request, _("This campaign is already over."))
    return redirect("campaigns:detail", pk=campaign.pk)


class Echo:
    def write(self, value: str) -> str:
        return value


def spreadsheet_safe(value: object) -> str:
    """Keep a spreadsheet from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_rows(campaign: Campaign) -> Iterator[list[str]]:
    yield [
        _("Customer"),
        _("Recipient"),
        _("Channel"),
        _("Status"),
        _("Reason"),
        _("Sent at"),
        _("Opened at"),
        _("Clicked at"),
    ]
    fields = ["customer_id", "recipient", "channel", "status", "refusal_reason"]
    times = ["sent_at", "opened_at", "clicked_at"]
    for row in queries.list_campaign_deliveries(campaign).values_list(*fields, *times).iterator():
        values = list(row[: len(fields)])
        stamps = [stamp.isoformat() if stamp else "" for stamp in row[len(fields) :]]
        yield [spreadsheet_safe(value) for value in [*values, *stamps]]


@login_required
@require_GET
def campaign_export(request: AgentRequest, pk: int) -> StreamingHttpResponse:
    """The campaign's deliveries as CSV, streamed (a campaign may have 100,000)."""
    require_admin(request)
    campaign = queries.get_campaign(pk)
    # Semicolons and a BOM, for French spreadsheets (as the figures export does).
    writer = csv.writer(Echo(), delimiter=";")
    lines = (writer.writerow(row) for row in export_rows(campaign))
    response = StreamingHttpResponse(iter_with_bom(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}.csv"'
    return response


def iter_with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"
    yield from lines
