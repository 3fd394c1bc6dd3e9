"""Agent pages of messages: templates (list, editor for admins, preview for a customer, test
send, version restore), the outbound log (admins) and sending a template to one customer."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.agents.models import Agent
from comptoir.customers import queries as customer_queries
from comptoir.messaging import queries, services
from comptoir.messaging.forms import (
    DeliveryFilterForm,
    MessageTemplateForm,
    PreviewDraftForm,
    SendToCustomerForm,
    TestSendForm,
)
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.sending import Outbound, send_outbound
from comptoir.messaging.gate import gate_findings
from comptoir.messaging.rendering import TemplateError, render_message

CUSTOMER_CHOICES = 10
DELIVERIES_PER_PAGE = 50


class AgentRequest(HttpRequest):
    user: Agent


def require_admin(request: AgentRequest) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
@require_GET
def template_list(request: AgentRequest) -> HttpResponse:
    return render(request, "messaging/template_list.html", {"templates": queries.list_templates()})


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: AgentRequest, pk: int | None = None) -> HttpResponse:
    """Show a template; an admin edits it, and every save becomes a new live version."""
    template = queries.get_template(pk) if pk is not None else MessageTemplate()
    if request.method == "POST":
        require_admin(request)
        form = MessageTemplateForm(request.POST, instance=template)
        if form.is_valid():
            fields = {
                name: form.cleaned_data[name]
                for name in ("name", "slug", "kind", "channel", "sample_event")
            }
            try:
                template = services.save_message_template(
                    template=template,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    sms_text=form.cleaned_data["sms_text"],
                    author=request.user,
                    **fields,
                )
            except TemplateError as error:
                form.add_error("body", str(error))
            else:
                messages.success(request, _("Template saved."))
                return redirect("messaging:template_edit", pk=template.pk)
        status = 400
    else:
        if pk is None:
            require_admin(request)
        form = MessageTemplateForm(instance=template)
        status = 200
    versions = queries.list_versions(template) if template.pk else []
    return render(
        request,
        "messaging/template_edit.html",
        {"template": template, "form": form, "versions": versions},
        status=status,
    )


def customer_id(value: str | None) -> int | None:
    value = (value or "").strip().lstrip("#")
    return int(value) if value.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def template_preview(request: AgentRequest, pk: int) -> HttpResponse:
    """Render the template for a chosen customer, with the quality gate's findings.

    A POST (admins, from the editor) previews the subject and body as typed, not saved.
    """
    template = queries.get_template(pk)
    params = request.POST if request.method == "POST" else request.GET
    draft: dict[str, str] = {}
    if request.method == "POST":
        require_admin(request)
        draft_form = PreviewDraftForm(request.POST)
        if draft_form.is_valid():
            draft = draft_form.cleaned_data
    search = params.get("q", "").strip()[:200]
    choices = list(customer_queries.list_customers(search)[:CUSTOMER_CHOICES]) if search else []
    customer = queries.find_preview_customer(customer_id(params.get("customer")))
    context: dict[str, object] = {
        "template": template,
        "search": search,
        "choices": choices,
        "customer": customer,
        "draft": draft,
    }
    if customer is not None:
        try:
            rendered = render_message(
                template=template,
                customer=customer,
                event=template.sample_event,
                subject=draft.get("subject"),
                body=draft.get("body"),
            )
        except TemplateError as error:
            context["error"] = str(error)
        else:
            context["rendered"] = rendered
            context["findings"] = gate_findings(rendered, customer)
            context["test_form"] = TestSendForm(
                initial={"to": request.user.email, "customer": customer.pk}
            )
    return render(request, "messaging/template_preview.html", context)


@login_required
@require_POST
def template_test_send(request: AgentRequest, pk: int) -> HttpResponse:
    """Send the rendered template, marked [TEST], to an internal address (admins)."""
    require_admin(request)
    template = queries.get_template(pk)
    form = TestSendForm(request.POST)
    customer = queries.find_preview_customer(customer_id(request.POST.get("customer")))
    if not form.is_valid() or customer is None:
        messages.error(request, _("Give an address and a customer for the test send."))
        return redirect("messaging:template_preview", pk=template.pk)
    try:
        rendered = render_message(template=template, customer=customer, event=template.sample_event)
    except TemplateError as error:
        messages.error(request, str(error))
    else:
        services.send_test_message(
            rendered=rendered, to=form.cleaned_data["to"], author=request.user
        )
        messages.success(
            request, _("Test sent to %(address)s.") % {"address": form.cleaned_data["to"]}
        )
    preview = reverse("messaging:template_preview", args=[template.pk])
    return redirect(f"{preview}?customer={customer.pk}")


@login_required
@require_POST
def version_restore(request: AgentRequest, pk: int, number: int) -> HttpResponse:
    """Make an earlier version live again, as a new version (the history stays whole)."""
    require_admin(request)
    template = queries.get_template(pk)
    version = queries.list_versions(template).filter(number=number).first()
    if version is None:
        messages.error(request, _("This version does not exist."))
    else:
        services.save_message_template(
            template=template,
            subject=version.subject,
            body=version.body,
            sms_text=version.sms_text,
            author=request.user,
        )
        messages.success(request, _("Version %(number)d is live again.") % {"number": number})
    return redirect("messaging:template_edit", pk=template.pk)


@login_required
@require_GET
def delivery_list(request: AgentRequest) -> HttpResponse:
    """The outbound log: every delivery, what became of it and why (admins)."""
    require_admin(request)
    form = DeliveryFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    deliveries = queries.list_deliveries(
        status=filters.get("status", ""),
        channel=filters.get("channel", ""),
        reason=filters.get("reason", ""),
        search=filters.get("q", ""),
        campaign_id=filters.get("campaign"),
    )
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "messaging/delivery_list.html", {"form": form, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def send_to_customer(request: AgentRequest, customer_pk: int) -> HttpResponse:
    """Send one template to one customer through the sending path (consent, pressure…)."""
    if request.user.is_outsider:
        raise PermissionDenied
    customer = customer_queries.get_customer(customer_pk)
    templates = queries.list_sendable_templates()
    if request.method == "POST":
        form = SendToCustomerForm(request.POST, templates=templates)
        if form.is_valid():
            delivery = send_outbound(
                Outbound(
                    template=form.cleaned_data["template"],
                    customer=customer,
                    dedupe_key=f"agent:{form.cleaned_data['request_key']}",
                )
            )
            announce_delivery(request, delivery)
            return redirect("customers:detail", pk=customer.pk)
        status = 400
    else:
        form = SendToCustomerForm(initial={"request_key": uuid.uuid4().hex}, templates=templates)
        status = 200
    return render(
        request,
        "messaging/send_to_customer.html",
        {"customer": customer, "form": form},
        status=status,
    )


def announce_delivery(request: AgentRequest, delivery: Delivery) -> None:
    if delivery.status == Delivery.Status.QUEUED:
        messages.success(
            request,
            _("Message queued: %(channel)s to %(recipient)s.")
            % {"channel": delivery.channel, "recipient": delivery.recipient},
        )
    elif delivery.status == Delivery.Status.HELD:
        messages.warning(
            request,
            _("Message held back (%(reason)s) until %(when)s.")
            % {
                "reason": delivery.get_refusal_reason_display(),
                "when": date_format(localtime(delivery.next_attempt_at), "SHORT_DATETIME_FORMAT"),
            },
        )
    elif delivery.status == Delivery.Status.REFUSED:
        messages.error(
            request,
            _("Message not sent: %(reason)s.") % {"reason": delivery.get_refusal_reason_display()},
        )
    else:
        messages.info(request, _("This message was already sent."))
