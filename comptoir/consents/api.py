"""JSON API of the consent ledger (a customer's history, a new statement) and of solicitations."""

import ipaddress
from datetime import datetime

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from comptoir.agents.api_auth import scope
from comptoir.consents import pressure, queries, services
from comptoir.consents.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    LegalBasis,
    Purpose,
    Solicitation,
    SolicitationType,
    Source,
)
from comptoir.customers.models import Customer
from comptoir.messaging.models import MessageKind

router = Router(tags=["consents"])


class ConsentIn(Schema):
    purpose: str = Field(..., description=", ".join(Purpose.values))
    channel: str = Field(..., description=", ".join(Channel.values))
    status: str = Field(..., description=", ".join(ConsentStatus.values))
    legal_basis: str = Field(LegalBasis.CONSENT, description=", ".join(LegalBasis.values))
    collected_at: datetime | None = Field(None, description="when the customer said it")
    evidence: str = Field(
        "", max_length=500, description="what proves it: the form, the page, the order…"
    )
    ip_address: str | None = None
    user_agent: str = ""


class ConsentOut(Schema):
    id: int
    purpose: str
    channel: str
    status: str
    legal_basis: str
    source: str
    collected_at: datetime
    evidence: str
    created_at: datetime


@router.get(
    "/customers/{customer_id}/consents",
    response=list[ConsentOut],
    auth=scope("customers:read"),
)
def consent_history(request: HttpRequest, customer_id: int) -> list[ConsentRecord]:
    """The customer's consent ledger, oldest first (it only ever grows)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    return list(queries.list_consent_history(customer))


@router.post(
    "/customers/{customer_id}/consents",
    response={201: ConsentOut},
    auth=scope("consents:write"),
)
def record_consent(
    request: HttpRequest, customer_id: int, payload: ConsentIn
) -> Status[ConsentRecord]:
    """Append one statement of the customer's choice to the ledger, with its proof."""
    customer = get_object_or_404(Customer, pk=customer_id)
    for name, allowed in (
        ("purpose", Purpose.values),
        ("channel", Channel.values),
        ("status", ConsentStatus.values),
        ("legal_basis", LegalBasis.values),
    ):
        value = getattr(payload, name)
        if value not in allowed:
            raise HttpError(422, f"unknown {name} '{value}' (expected one of: {', '.join(allowed)})")
    if payload.ip_address:
        try:
            ipaddress.ip_address(payload.ip_address)
        except ValueError:
            raise HttpError(422, f"not an IP address: '{payload.ip_address}'") from None
    token = getattr(request, "auth", None)
    record = services.record_consent(
        customer=customer,
        purpose=payload.purpose,
        channel=payload.channel,
        status=payload.status,
        legal_basis=payload.legal_basis,
        proof=services.Proof(
            source=Source.API,
            collected_at=payload.collected_at,
            ip_address=payload.ip_address,
            user_agent=payload.user_agent,
            evidence=payload.evidence or f"API token {token}",
        ),
    )
    return Status(201, record)


class SolicitationIn(Schema):
    type: str = Field(..., description=", ".join(SolicitationType.values))
    kind: str = Field(MessageKind.MARKETING, description=", ".join(MessageKind.values))
    at: datetime | None = Field(None, description="when it happened (default: now)")
    source: str = Field("api", max_length=64, description="the system that reports it")
    external_id: str = Field(
        "", max_length=200, description="its id there: a retried call records nothing new"
    )
    note: str = Field("", max_length=300)


class SolicitationOut(Schema):
    id: int
    type: str
    kind: str
    at: datetime
    source: str
    external_id: str
    note: str


@router.post(
    "/customers/{customer_id}/solicitations",
    response={200: SolicitationOut, 201: SolicitationOut},
    auth=scope("events:write"),
)
def record_solicitation(
    request: HttpRequest, customer_id: int, payload: SolicitationIn
) -> Status[Solicitation]:
    """Count a solicitation made outside Comptoir (a call, a meeting, a push) in the pressure."""
    customer = get_object_or_404(Customer, pk=customer_id)
    for name, allowed in (("type", SolicitationType.values), ("kind", MessageKind.values)):
        if getattr(payload, name) not in allowed:
            raise HttpError(422, f"unknown {name} (expected one of: {', '.join(allowed)})")
    recorded = pressure.record_solicitation(
        customer=customer,
        channel=payload.type,
        kind=payload.kind,
        at=payload.at or timezone.now(),
        source=payload.source or "api",
        external_id=payload.external_id,
        note=payload.note,
    )
    return Status(201 if recorded.created else 200, recorded.solicitation)
