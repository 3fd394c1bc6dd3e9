"""JSON API of data protection: the export of everything held about a customer.

Mounted under /api/ by comptoir/api.py; the token needs the scope customers:export, given
only to the system that answers people's access requests (the shop's account page).
"""

from django.http import HttpRequest, HttpResponse
from ninja import Router

from comptoir.agents.api_auth import scope
from comptoir.privacy import queries, services
from comptoir.privacy.models import AuditEntry

router = Router(tags=["data protection"])


@router.get(
    "/customers/{customer_id}/export",
    auth=scope("customers:export"),
    summary="Export everything held about a customer (zip: customer.json, attachments, emails)",
    openapi_extra={
        "responses": {200: {"content": {"application/zip": {"schema": {"type": "string"}}}}}
    },
)
def export(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = queries.get_customer(customer_id)
    content = services.export_customer(customer)
    services.record_action(
        actor=services.Actor.api_token(request.auth.name),  # type: ignore[attr-defined]
        action=AuditEntry.Action.EXPORTED,
        customer_id=customer.pk,
        details={"bytes": len(content), "via": "api"},
    )
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response
