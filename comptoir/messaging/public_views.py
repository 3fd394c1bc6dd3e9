"""Pages reached from a templated email without login: the signed token is the key.

Kept apart from views.py, whose pages are agents' and all need a login and a role.
"""

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http import HttpResponseRedirect
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from comptoir.messaging.models import TrackingEvent
from comptoir.messaging.tracking import (
    PIXEL_GIF,
    read_click_token,
    read_open_token,
    record_hit_safely,
)


@require_http_methods(["GET", "HEAD"])
def tracked_click(request: HttpRequest, token: str) -> HttpResponse:
    """Record a click and go on to the link's target, the one the signature covers."""
    if request.GET:
        # Our links carry no query string: a ?next= or ?url= was added by someone else.
        return HttpResponseBadRequest("unexpected parameters")
    link = read_click_token(token)
    if link is None:
        raise Http404("unknown or altered link")
    record_hit_safely(
        delivery_id=link.delivery_id,
        kind=TrackingEvent.Kind.CLICK,
        url=link.url,
        user_agent=request.headers.get("User-Agent", ""),
        head=request.method == "HEAD",
    )
    response = HttpResponseRedirect(link.url)
    # The target learns nothing of the token (which names the delivery).
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "HEAD"])
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """Record an open and answer a transparent 1×1 GIF, never from a cache."""
    delivery_id = read_open_token(token)
    if delivery_id is not None:
        record_hit_safely(
            delivery_id=delivery_id,
            kind=TrackingEvent.Kind.OPEN,
            user_agent=request.headers.get("User-Agent", ""),
            head=request.method == "HEAD",
        )
    # An altered token gets the image too: a broken image in an email helps no one.
    response = HttpResponse(PIXEL_GIF, content_type="image/gif")
    add_never_cache_headers(response)
    response["Pragma"] = "no-cache"
    response["Expires"] = "0"
    return response
