"""HTTP views of the customer record: list, 360 view, missing data, import; and the public
pages: the completion form reached from a signed link, and the sign-up form."""

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.agents.models import Agent
from comptoir.consents import queries as consent_queries
from comptoir.consents import services as consent_services
from comptoir.consents.models import Channel, ConsentStatus, Purpose, Source
from comptoir.consents.notices import SIGN_UP, current_notice
from comptoir.core.form_abuse import is_rate_limited
from comptoir.customers import completeness, queries, services
from comptoir.customers.forms import (
    CompletionForm,
    IdentityForm,
    ImportForm,
    ProfileForm,
    SignUpForm,
)
from comptoir.customers.identities import InvalidIdentity
from comptoir.customers.importing import ImportFileError, detect_format, import_customers
from comptoir.customers.models import Customer, ProfileChange
from comptoir.customers.public_pages import speak_customer_language
from comptoir.privacy import services as privacy

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 30
UPLOAD_SALT = "comptoir.customers.import"


class AgentRequest(HttpRequest):
    user: Agent


@login_required
@require_GET
def customer_list(request: AgentRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    page = Paginator(queries.list_customers(search), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/list.html", {"page": page, "search": search})


def timeline_context(request: HttpRequest, customer: Customer) -> dict[str, object]:
    channels = queries.timeline_channels()
    channel = request.GET.get("channel") or None
    if channel not in {value for value, _label in channels}:
        channel = None
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    return {
        "timeline": queries.list_timeline(customer, channel, number, TIMELINE_PAGE_SIZE),
        "channels": channels,
        "channel": channel,
    }


def render_customer(
    request: AgentRequest,
    customer: Customer,
    *,
    profile_form: ProfileForm | None = None,
    identity_form: IdentityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The 360 page, with the edit forms as submitted when one was refused."""
    context: dict[str, object] = {"customer": customer, **timeline_context(request, customer)}
    required = completeness.list_required_fields()
    preference = consent_queries.find_preference(customer)
    context |= {
        "marketing": [
            (label, consent_queries.is_marketing_accepted(customer, value))
            for value, label in Channel.choices
            if value != Channel.ANY
        ],
        "consent_history": list(consent_queries.list_consent_history(customer))[-10:][::-1],
        "preference": preference,
        "missing": completeness.missing_fields(customer, required),
        "people": queries.list_company_people(customer)[:50]
        if customer.kind == Customer.Kind.COMPANY
        else [],
        "conversations": customer.conversations.order_by("-last_message_at", "-pk")[:10],
        "profile_form": profile_form or ProfileForm(customer=customer),
        "identity_form": identity_form or IdentityForm(),
    }
    return render(request, "customers/detail.html", context, status=status)


@login_required
@require_GET
def customer_detail(request: AgentRequest, pk: int) -> HttpResponse:
    """The 360 view: identities, profile, consents, segments and the timeline."""
    customer = queries.get_customer(pk)
    privacy.record_view(customer, request.user)  # the audit log of who looked at a record
    if request.htmx and request.htmx.target == "timeline":
        return render(
            request, "customers/timeline.html", timeline_context(request, customer)
        )
    return render_customer(request, customer)


@login_required
@require_POST
def edit_profile(request: AgentRequest, pk: int) -> HttpResponse:
    """An agent corrects the profile; the change is kept in the timeline with their name."""
    customer = queries.get_customer(pk)
    form = ProfileForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            services.update_profile(
                customer=customer,
                values=form.profile_values(),
                source=ProfileChange.Source.AGENT,
                agent=request.user,
                store=form.cleaned_data["store"],
            )
        except services.InvalidProfile as error:
            for name, text in error.errors.items():
                form.add_error(name if name in form.fields else None, text)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("customers:detail", pk=customer.pk)
    messages.error(request, _("The profile was not saved: check the form."))
    return render_customer(request, customer, profile_form=form, status=400)


@login_required
@require_POST
def add_identity(request: AgentRequest, pk: int) -> HttpResponse:
    """Attach an email, phone or handle; one another customer holds is refused, not moved."""
    customer = queries.get_customer(pk)
    form = IdentityForm(request.POST)
    if form.is_valid():
        try:
            services.add_identity(
                customer=customer,
                kind=form.cleaned_data["kind"],
                value=form.cleaned_data["value"],
                network=form.cleaned_data["network"],
            )
        except InvalidIdentity:
            form.add_error("value", _("This value is not valid for its kind."))
        except services.IdentityTaken as error:
            # The same person twice is a merge for an agent to decide, from the duplicates.
            form.add_error(
                "value",
                _("Customer #%(pk)s already has it: merge the two records if they are one.")
                % {"pk": error.identity.customer_id},
            )
        else:
            messages.success(request, _("Identity added."))
            return redirect("customers:detail", pk=customer.pk)
    messages.error(request, _("The identity was not added: check the form."))
    return render_customer(request, customer, identity_form=form, status=400)


@login_required
@require_POST
def remove_identity(request: AgentRequest, pk: int, identity_pk: int) -> HttpResponse:
    customer = queries.get_customer(pk)
    identity = get_object_or_404(customer.identities, pk=identity_pk)
    services.remove_identity(identity=identity)
    messages.success(request, _("Identity removed."))
    return redirect("customers:detail", pk=customer.pk)


@login_required
@require_POST
def completion_link(request: AgentRequest, pk: int) -> HttpResponse:
    """Give the agent the link where the customer completes their record (nothing is sent)."""
    customer = queries.get_customer(pk)
    url = completeness.request_profile_completion(customer)
    if request.htmx:
        return render(request, "customers/completion_link.html", {"url": url})
    messages.success(request, _("Link for the customer: %(url)s") % {"url": url})
    return redirect("customers:detail", pk=customer.pk)


@login_required
@require_GET
def customers_with_gaps(request: AgentRequest) -> HttpResponse:
    """Customers whose record lacks a field an admin marked as needed."""
    required = completeness.list_required_fields()
    page = Paginator(completeness.list_customers_with_gaps(required), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(customer, completeness.missing_fields(customer, required)) for customer in page]
    return render(
        request,
        "customers/gaps.html",
        {"page": page, "rows": rows, "required": required},
    )


def upload_directory() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: AgentRequest) -> HttpResponse:
    """Upload a file, read the dry-run report of every bad row, then confirm the import."""
    if not request.user.is_admin:
        raise PermissionDenied
    if request.method == "GET":
        return render(request, "customers/import.html", {"form": ImportForm()})
    if "confirm" in request.POST:
        return confirm_import(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "customers/import.html", {"form": form}, status=400)
    upload = form.cleaned_data["file"]
    try:
        file_format = detect_format(upload.name)
        report = import_customers(upload, filename=upload.name, dry_run=True)
    except ImportFileError as error:
        form.add_error("file", str(error))
        return render(request, "customers/import.html", {"form": form}, status=400)
    stored = ""
    if report.ok:
        # Kept until confirmed; the signed name is the only handle the page gets on it.
        directory = upload_directory()
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.{file_format}"
        upload.seek(0)
        with (directory / name).open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        stored = signing.Signer(salt=UPLOAD_SALT).sign(f"{name}:{upload.name}")
    return render(
        request,
        "customers/import.html",
        {"form": ImportForm(), "report": report, "stored": stored},
        status=200 if report.ok else 400,
    )


def confirm_import(request: AgentRequest) -> HttpResponse:
    try:
        name, filename = signing.Signer(salt=UPLOAD_SALT).unsign(request.POST["stored"]).split(
            ":", 1
        )
    except (KeyError, signing.BadSignature, ValueError):
        raise Http404("unknown upload") from None
    path = upload_directory() / name
    if not path.exists():
        messages.error(request, _("This upload was already imported or has expired."))
        return redirect("customers:import")
    with path.open("rb") as stream:
        report = import_customers(stream, filename=filename, dry_run=False)
    if not report.ok:
        # The records changed since the dry run (an identity added meanwhile): show it again.
        return render(
            request,
            "customers/import.html",
            {"form": ImportForm(), "report": report, "stored": ""},
            status=400,
        )
    path.unlink()
    messages.success(
        request, _("%(count)s customers imported.") % {"count": f"{report.created:n}"}
    )
    return redirect("customers:list")


# --- Public: the customer's own completion form, and the sign-up form ---------------------------

# POSTs from one IP address to one public form: a household or an office shares an address,
# so a few mistakes must fit; a robot hammering the form must not.
PUBLIC_POST_LIMIT = 5
PUBLIC_POST_WINDOW = 10 * 60


def too_many_requests(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "customers/too_many_requests.html",
        {"support_name": settings.COMPTOIR_SUPPORT_NAME},
        status=429,
    )
    response["Retry-After"] = str(PUBLIC_POST_WINDOW)
    return response


@require_http_methods(["GET", "POST"])
def complete_profile(request: HttpRequest, token: str) -> HttpResponse:
    """Ask the customer only for what their record lacks; the answer lands in the record."""
    if request.method == "POST" and is_rate_limited(
        request, "complete_profile", limit=PUBLIC_POST_LIMIT, window=PUBLIC_POST_WINDOW
    ):
        return too_many_requests(request)
    customer = completeness.find_customer_by_completion_token(token)
    if customer is None:
        raise Http404("unknown, altered or expired link")
    speak_customer_language(request, customer)
    missing = completeness.missing_fields(customer, completeness.list_required_fields())
    form = CompletionForm(request.POST or None, missing=missing)
    context = {
        "customer": customer,
        "form": form,
        "support_name": settings.COMPTOIR_SUPPORT_NAME,
    }
    if request.method == "POST" and form.is_from_robot():
        messages.success(request, _("Thank you, your details have been saved."))
        return redirect("customers:complete_profile", token=token)
    if request.method == "GET" or not form.is_valid():
        return render(
            request, "customers/complete_profile.html", context, status=200 if request.method == "GET" else 400
        )
    data = dict(form.cleaned_data)
    email = data.pop("email", "") or ""
    phone = data.pop("phone", "") or ""
    store = data.pop("store", None)
    try:
        services.complete_profile(
            customer=customer, values=data, email=email, phone=phone, store=store
        )
    except services.InvalidProfile as error:
        for name, message in error.errors.items():
            form.add_error(name if name in form.fields else None, message)
        return render(request, "customers/complete_profile.html", context, status=400)
    except services.IdentityTaken:
        form.add_error(None, _("This address or number is already known to us under another record."))
        return render(request, "customers/complete_profile.html", context, status=400)
    messages.success(request, _("Thank you, your details have been saved."))
    return redirect("customers:complete_profile", token=token)


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """The public sign-up form: an email address, optional details, an optional opt-in."""
    if request.method == "POST" and is_rate_limited(
        request, "sign_up", limit=PUBLIC_POST_LIMIT, window=PUBLIC_POST_WINDOW
    ):
        return too_many_requests(request)
    notice = current_notice(SIGN_UP, translation.get_language() or "fr")
    form = SignUpForm(request.POST or None)
    context = {"form": form, "notice": notice, "support_name": settings.COMPTOIR_SUPPORT_NAME}
    if request.method == "GET":
        return render(request, "customers/sign_up.html", context)
    # A robot gets the thank-you page too, with nothing stored: no signal to learn from.
    if form.is_from_robot():
        return redirect("customers:sign_up_done")
    if not form.is_valid():
        return render(request, "customers/sign_up.html", context, status=400)
    data = form.cleaned_data
    with transaction.atomic():
        customer = services.sign_up_customer(
            email=data["email"],
            phone=data["phone"],
            values={
                "first_name": data["first_name"],
                "last_name": data["last_name"],
                "age_bracket": data["age_bracket"],
                "language": translation.get_language() or "",
            },
        )
        if data["marketing"] and (
            consent_services.current_marketing_status(customer, Channel.EMAIL)
            != ConsentStatus.GRANTED
        ):
            consent_services.record_consent(
                customer=customer,
                purpose=Purpose.MARKETING,
                channel=Channel.EMAIL,
                status=ConsentStatus.GRANTED,
                proof=consent_services.Proof(
                    source=Source.FORM,
                    notice=notice,
                    ip_address=request.META.get("REMOTE_ADDR") or None,
                    user_agent=request.headers.get("User-Agent", ""),
                    evidence="sign-up form",
                ),
            )
    # The same page whether the address was new or known: the form must not tell a stranger
    # who is a customer.
    return redirect("customers:sign_up_done")


@require_GET
def sign_up_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "customers/sign_up_done.html", {"support_name": settings.COMPTOIR_SUPPORT_NAME}
    )
