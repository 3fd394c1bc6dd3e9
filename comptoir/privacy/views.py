"""HTTP views of data protection, for admins only: parse, authorise, call a service, render."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.agents.models import Agent
from comptoir.privacy import queries, services
from comptoir.privacy.duplicates import find_duplicate_candidates
from comptoir.privacy.forms import DismissForm, EraseForm, MergeForm
from comptoir.privacy.models import AuditEntry

PAGE_SIZE = 100

# The services raise errors with English text; listed so that makemessages catalogues them.
SERVICE_ERRORS = (
    gettext_noop("A customer cannot be merged into itself."),
    gettext_noop("One of the two customers no longer exists."),
    gettext_noop("An erased customer cannot be merged."),
    gettext_noop("This merge has already been undone or can no longer be undone."),
    gettext_noop("The kept customer no longer exists."),
    gettext_noop("The merged customer already exists again."),
)


class AgentRequest(HttpRequest):
    user: Agent


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let admins through; an agent gets 403, an anonymous visitor the login page."""

    @login_required
    @wraps(view)
    def wrapper(request: AgentRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def customer_page(pk: int) -> str:
    """The customer's 360 page where it exists, else the record's audit log."""
    try:
        return reverse("customers:detail", args=[pk])
    except NoReverseMatch:
        return reverse("privacy:audit") + f"?customer={pk}"


@admin_required
@require_GET
def export_download(request: AgentRequest, pk: int) -> HttpResponse:
    customer = queries.get_customer(pk)
    content = services.export_customer(customer)
    services.record_action(
        actor=request.user,
        action=AuditEntry.Action.EXPORTED,
        customer_id=customer.pk,
        details={"bytes": len(content), "via": "web"},
    )
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def erase(request: AgentRequest, pk: int) -> HttpResponse:
    customer = queries.get_customer(pk)
    form = EraseForm(request.POST or None, expected=customer.display_name)
    if request.method == "POST" and form.is_valid():
        try:
            services.erase_customer(customer=customer, actor=request.user)
        except services.ErasureError:
            messages.error(request, _("This customer has already been erased."))
        else:
            messages.success(request, _("The customer's personal data has been erased."))
        return redirect(customer_page(customer.pk))
    status = 400 if request.method == "POST" else 200
    return render(
        request, "privacy/erase.html", {"customer": customer, "form": form}, status=status
    )


@admin_required
@require_GET
def duplicates(request: AgentRequest) -> HttpResponse:
    candidates = find_duplicate_candidates()
    customers = queries.list_customers_by_id(
        {c.first_id for c in candidates} | {c.second_id for c in candidates}
    )
    rows = [
        {"candidate": c, "first": customers[c.first_id], "second": customers[c.second_id]}
        for c in candidates
        if c.first_id in customers and c.second_id in customers
    ]
    return render(request, "privacy/duplicates.html", {"rows": rows})


@admin_required
@require_POST
def merge(request: AgentRequest) -> HttpResponse:
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the record to keep and the record to merge into it."))
        return redirect("privacy:duplicates")
    try:
        record = services.merge_customers(
            kept=form.cleaned_data["kept"], merged=form.cleaned_data["merged"], actor=request.user
        )
    except services.MergeError as error:
        messages.error(request, _("The merge was not done: %(error)s") % {"error": _(str(error))})
        return redirect("privacy:duplicates")
    messages.success(
        request,
        _("Customer #%(merged)s merged into #%(kept)s. You can undo it from the list of merges.")
        % {"merged": record.merged_id, "kept": record.kept_id},
    )
    return redirect("privacy:merges")


@admin_required
@require_POST
def dismiss(request: AgentRequest) -> HttpResponse:
    form = DismissForm(request.POST)
    if form.is_valid():
        services.dismiss_duplicate(
            first_id=form.cleaned_data["first"],
            second_id=form.cleaned_data["second"],
            by=request.user.get_username(),
        )
        messages.success(request, _("This pair will not be proposed again."))
    return redirect("privacy:duplicates")


@admin_required
@require_GET
def merges(request: AgentRequest) -> HttpResponse:
    page = Paginator(queries.list_merges(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "privacy/merges.html", {"page": page})


@admin_required
@require_POST
def undo(request: AgentRequest, pk: int) -> HttpResponse:
    record = queries.get_merge(pk)
    try:
        services.undo_merge(record=record, actor=request.user)
    except services.MergeError as error:
        messages.error(request, _("The merge was not undone: %(error)s") % {"error": _(str(error))})
    else:
        messages.success(
            request, _("Merge undone: customer #%(pk)s is back.") % {"pk": record.merged_id}
        )
    return redirect("privacy:merges")


@admin_required
@require_GET
def audit(request: AgentRequest) -> HttpResponse:
    customer = request.GET.get("customer", "").strip()
    customer_id = int(customer) if customer.isdigit() else None
    entries = queries.list_audit_entries(customer_id)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "privacy/audit.html", {"page": page, "customer_id": customer_id})
