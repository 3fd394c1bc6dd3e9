"""The JSON API (django-ninja); each app adds its router here. OpenAPI at /api/docs."""

from ninja import NinjaAPI

api = NinjaAPI(title="Comptoir API", version="1", urls_namespace="api")


@api.get("/health", auth=None)
def health(request) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"status": "ok"}
