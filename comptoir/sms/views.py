"""Twilio's webhooks: an SMS received, and a status callback for one we sent.

No login and no CSRF token (Twilio holds neither): a request counts only with the
X-Twilio-Signature of our auth token over the URL Twilio was given (COMPTOIR_PUBLIC_URL and
this path) and its parameters; anything else is refused with 403.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from comptoir.sms import inbound
from comptoir.sms.signature import is_signed_by_twilio

# An empty TwiML answer: Twilio sends no reply SMS (a STOP is confirmed by Twilio itself).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def check_twilio_signature(request: HttpRequest) -> None:
    url = f"{settings.PUBLIC_URL}{request.get_full_path()}"
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not is_signed_by_twilio(settings.COMPTOIR_SMS_AUTH_TOKEN, url, params, signature):
        raise PermissionDenied


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> HttpResponse:
    check_twilio_signature(request)
    if not request.POST.get("MessageSid"):
        return HttpResponseBadRequest("MessageSid is missing")
    inbound.receive_sms(
        provider_sid=request.POST.get("MessageSid", ""),
        from_number=request.POST.get("From", ""),
        to_number=request.POST.get("To", ""),
        body=request.POST.get("Body", ""),
        opt_out_type=request.POST.get("OptOutType", ""),
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def status_callback(request: HttpRequest) -> HttpResponse:
    check_twilio_signature(request)
    inbound.apply_status(
        provider_sid=request.POST.get("MessageSid", ""),
        status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)
