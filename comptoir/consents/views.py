"""Public pages reached from a signed link in an email: no login, the link is the key."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from comptoir.consents import queries, services
from comptoir.consents.forms import PreferenceForm
from comptoir.consents.links import find_customer_by_token
from comptoir.consents.models import Channel, Frequency, Source
from comptoir.consents.notices import PREFERENCE_CENTRE, current_notice
from comptoir.consents.services import MARKETING_CHANNELS, Proof
from comptoir.consents.topics import marketing_topics
from comptoir.customers.models import Customer
from comptoir.customers.public_pages import speak_customer_language


def customer_or_404(token: str) -> Customer:
    customer = find_customer_by_token(token)
    if customer is None:
        raise Http404("unknown or altered link")
    return customer


def web_proof(request: HttpRequest, source: str, *, with_notice: bool = True) -> Proof:
    notice = None
    if with_notice:
        notice = current_notice(PREFERENCE_CENTRE, translation.get_language() or "fr")
    return Proof(
        source=source,
        notice=notice,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.headers.get("User-Agent", ""),
    )


def initial_choices(customer: Customer) -> dict[str, object]:
    preference = queries.find_preference(customer)
    return {
        "channels": [c for c in MARKETING_CHANNELS if queries.is_marketing_accepted(customer, c)],
        "topics": preference.topics if preference else [code for code, _ in marketing_topics()],
        "frequency": preference.frequency if preference else Frequency.AS_RELEVANT,
    }


def render_page(
    request: HttpRequest, customer: Customer, token: str, form: PreferenceForm, status: int = 200
) -> HttpResponse:
    notice = current_notice(PREFERENCE_CENTRE, translation.get_language() or "fr")
    context = {
        "customer": customer,
        "token": token,
        "form": form,
        "notice": notice,
        "support_name": settings.COMPTOIR_SUPPORT_NAME,
    }
    return render(request, "consents/preferences.html", context, status=status)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The preference centre: channels, topics, frequency, or leave all marketing."""
    customer = customer_or_404(token)
    speak_customer_language(request, customer)
    if request.method == "GET":
        return render_page(
            request, customer, token, PreferenceForm(initial=initial_choices(customer))
        )

    proof = web_proof(request, Source.PREFERENCE_CENTRE)
    if "unsubscribe_all" in request.POST:
        services.withdraw_marketing(customer=customer, proof=proof)
        messages.success(request, _("You will receive no more marketing messages from us."))
        return redirect("consents:preferences", token=token)
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        return render_page(request, customer, token, form, status=400)
    services.update_preferences(
        customer=customer,
        channels=set(form.cleaned_data["channels"]),
        topics=form.cleaned_data["topics"],
        frequency=form.cleaned_data["frequency"],
        proof=proof,
    )
    messages.success(request, _("Your preferences have been saved."))
    return redirect("consents:preferences", token=token)


# Mail providers POST here from their own servers, with no cookie and no CSRF token: the
# signed link is the authority. A GET (a link scanner, or the customer opening the URL) must
# not unsubscribe: it shows the preference centre.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def one_click(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058 one-click unsubscribe from marketing email."""
    customer = customer_or_404(token)
    if request.method == "GET":
        speak_customer_language(request, customer)
        return render_page(
            request, customer, token, PreferenceForm(initial=initial_choices(customer))
        )
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return HttpResponseBadRequest("expected List-Unsubscribe=One-Click\n")
    services.withdraw_marketing(
        customer=customer,
        proof=web_proof(request, Source.ONE_CLICK, with_notice=False),
        channels=(Channel.EMAIL,),
    )
    return HttpResponse("unsubscribed\n", content_type="text/plain; charset=utf-8")
