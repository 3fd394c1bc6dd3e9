"""JSON API of the customer record: customers, identities and business events.

Mounted under /api/ by comptoir/api.py; every endpoint needs a token with the scope it names.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from comptoir.agents.api_auth import scope
from comptoir.customers import queries, services
from comptoir.customers.identities import InvalidIdentity
from comptoir.customers.models import BusinessEvent, Customer, Identity, ProfileChange

router = Router(tags=["customers"])


class ApiError(HttpError):
    """An error answered as {"detail": message, "errors": {field: message}}."""

    def __init__(self, status_code: int, message: str, errors: dict[str, str] | None = None):
        super().__init__(status_code, message)
        self.errors = errors or {}


class IdentityOut(Schema):
    id: int
    kind: str
    network: str
    value: str


class CustomerOut(Schema):
    id: int
    kind: str
    display_name: str
    first_name: str
    last_name: str
    company_name: str
    language: str
    market: str
    age_bracket: str
    company_id: int | None
    store: str | None = Field(None, alias="store.name")
    custom_fields: dict[str, Any]
    last_purchase_at: datetime | None
    created_at: datetime
    identities: list[IdentityOut]
    segments: list[str]

    @staticmethod
    def resolve_identities(customer: Customer) -> list[Identity]:
        return list(customer.identities.all())

    @staticmethod
    def resolve_segments(customer: Customer) -> list[str]:
        return [segment.name for segment in customer.segments.all()]


class ProfileIn(Schema):
    kind: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    language: str | None = None
    market: str | None = None
    age_bracket: str | None = None
    custom_fields: dict[str, Any] | None = None


class CustomerIn(ProfileIn):
    emails: list[str] = []
    phones: list[str] = []


class IdentityIn(Schema):
    kind: str = Field(..., description="email, phone or social")
    value: str
    network: str = Field("", description="for a social handle: facebook, instagram, x…")


class EventIn(Schema):
    customer_id: int | None = Field(None, description="the customer, or give their email")
    email: str | None = Field(None, description="found or created when customer_id is absent")
    kind: str = Field(..., description=", ".join(BusinessEvent.Kind.values))
    occurred_at: datetime | None = None
    source: str = Field("api", max_length=64, description="the sending system, e.g. 'shop'")
    external_id: str = Field(
        "", max_length=200, description="the sender's id: the same one twice records once"
    )
    title: str = ""
    amount: Decimal | None = None
    currency: str = Field("", max_length=3)
    data: dict[str, Any] = {}


class EventOut(Schema):
    id: int
    customer_id: int
    kind: str
    occurred_at: datetime
    source: str
    external_id: str
    title: str
    amount: Decimal | None
    currency: str
    data: dict[str, Any]
    created_at: datetime


def profile_values(payload: ProfileIn) -> dict[str, Any]:
    values = payload.dict(exclude_unset=True, exclude={"custom_fields", "emails", "phones"})
    values = {name: "" if value is None else value for name, value in values.items()}
    return {**values, **(payload.custom_fields or {})}


def customer_or_404(pk: int) -> Customer:
    return queries.get_customer(pk)


def invalid(error: services.InvalidProfile) -> ApiError:
    return ApiError(422, "invalid profile", error.errors)


@router.get(
    "/customers", response=list[CustomerOut], auth=scope("customers:read"), summary="Customers"
)
@paginate(LimitOffsetPagination)
def list_customers(request: HttpRequest, search: str = "") -> QuerySet[Customer]:
    """Customers, newest first; `search` matches names, company, email, phone or handle."""
    return queries.list_customers(search[:200]).select_related("store").prefetch_related(
        "segments"
    )


@router.get("/customers/{customer_id}", response=CustomerOut, auth=scope("customers:read"))
def get_customer(request: HttpRequest, customer_id: int) -> Customer:
    return customer_or_404(customer_id)


@router.post(
    "/customers", response={201: CustomerOut}, auth=scope("customers:write")
)
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[Customer]:
    """Create a customer with emails and phones; 409 if one belongs to another customer."""
    try:
        customer = services.create_customer(
            values=profile_values(payload), emails=payload.emails, phones=payload.phones
        )
    except services.InvalidProfile as error:
        raise invalid(error) from error
    except services.IdentityTaken as error:
        raise ApiError(409, str(error), {"customer_id": str(error.identity.customer_id)}) from error
    return Status(201, customer_or_404(customer.pk))


@router.patch("/customers/{customer_id}", response=CustomerOut, auth=scope("customers:write"))
def update_customer(request: HttpRequest, customer_id: int, payload: ProfileIn) -> Customer:
    """Change the fields given; an empty string clears one. Kept in the customer's timeline."""
    customer = customer_or_404(customer_id)
    try:
        services.update_profile(
            customer=customer, values=profile_values(payload), source=ProfileChange.Source.API
        )
    except services.InvalidProfile as error:
        raise invalid(error) from error
    return customer_or_404(customer_id)


@router.post(
    "/customers/{customer_id}/identities",
    response={201: IdentityOut},
    auth=scope("customers:write"),
)
def add_identity(request: HttpRequest, customer_id: int, payload: IdentityIn) -> Status[Identity]:
    customer = customer_or_404(customer_id)
    try:
        identity = services.add_identity(
            customer=customer, kind=payload.kind, value=payload.value, network=payload.network
        )
    except InvalidIdentity as error:
        raise ApiError(422, f"invalid identity: {error}", {"value": str(error)}) from error
    except services.IdentityTaken as error:
        raise ApiError(409, str(error), {"customer_id": str(error.identity.customer_id)}) from error
    return Status(201, identity)


@router.delete(
    "/customers/{customer_id}/identities/{identity_id}",
    response={204: None},
    auth=scope("customers:write"),
)
def remove_identity(request: HttpRequest, customer_id: int, identity_id: int) -> Status[None]:
    identity = get_object_or_404(Identity, pk=identity_id, customer_id=customer_id)
    services.remove_identity(identity=identity)
    return Status(204, None)


@router.post(
    "/events",
    response={200: EventOut, 201: EventOut},
    auth=scope("events:write"),
    tags=["business events"],
)
def record_event(request: HttpRequest, payload: EventIn) -> Status[BusinessEvent]:
    """Record a business event; 201 when new, 200 when this (source, external_id) was known.

    An `order_placed` moves the customer's last purchase date.
    """
    if payload.customer_id is not None:
        customer = customer_or_404(payload.customer_id)
    elif payload.email:
        try:
            customer = services.find_or_create_customer_by_email(address=payload.email)
        except InvalidIdentity as error:
            raise ApiError(422, f"invalid email: {error}", {"email": str(error)}) from error
    else:
        raise ApiError(422, "give customer_id or email", {"customer_id": "required"})
    try:
        recorded = services.record_business_event(
            customer=customer,
            kind=payload.kind,
            occurred_at=payload.occurred_at,
            source=payload.source,
            external_id=payload.external_id,
            title=payload.title,
            amount=payload.amount,
            currency=payload.currency,
            data=payload.data,
        )
    except services.CustomerError as error:
        raise ApiError(422, str(error), {"kind": str(error)}) from error
    return Status(201 if recorded.created else 200, recorded.event)


@router.get(
    "/customers/{customer_id}/events",
    response=list[EventOut],
    auth=scope("customers:read"),
    tags=["business events"],
)
@paginate(LimitOffsetPagination)
def list_events(request: HttpRequest, customer_id: int) -> QuerySet[BusinessEvent]:
    """The customer's business events, newest first."""
    return queries.list_business_events(customer_or_404(customer_id))
