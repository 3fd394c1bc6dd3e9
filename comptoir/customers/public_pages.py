"""What every page a customer reaches from a link shares (preference centre, completion form,
survey): they speak the customer's language."""

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from comptoir.customers.models import Customer


def speak_customer_language(request: HttpRequest, customer: Customer) -> None:
    """Answer in the customer's language, unless they chose one on this site (the cookie)."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    if customer.language in dict(settings.LANGUAGES):
        translation.activate(customer.language)
        request.LANGUAGE_CODE = customer.language
