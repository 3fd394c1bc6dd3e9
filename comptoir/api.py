"""The JSON API (django-ninja); each app adds its router here. OpenAPI at /api/docs."""

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from comptoir.consents.api import router as consents_router
from comptoir.customers.api import ApiError
from comptoir.customers.api import router as customers_router
from comptoir.messaging.api import router as messaging_router
from comptoir.privacy.api import router as privacy_router

api = NinjaAPI(title="Comptoir API", version="1", urls_namespace="api")


@api.get("/health", auth=None)
def health(request) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"status": "ok"}


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": "a valid API token is needed: 'Authorization: Bearer <token>'"},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ApiError)
def api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return api.create_response(
        request, {"detail": error.message, "errors": error.errors}, status=error.status_code
    )


api.add_router("/", customers_router)
api.add_router("/", consents_router)
api.add_router("/", privacy_router)
api.add_router("/", messaging_router)
