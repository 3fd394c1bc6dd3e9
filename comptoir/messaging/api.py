"""JSON API of outbound messages: the shop asks for a templated message, then reads its fate.

Mounted under /api/ by comptoir/api.py. Sending goes through messaging.sending, the path
every outbound message takes; the answer is the delivery as recorded (queued, held back by
marketing pressure, or refused with the reason), never an email sent in the request.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from comptoir.agents.api_auth import scope
from comptoir.customers import queries as customer_queries
from comptoir.customers import services as customer_services
from comptoir.customers.api import ApiError
from comptoir.customers.identities import InvalidIdentity
from comptoir.customers.models import BusinessEvent, Customer, ProfileChange
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.sending import Outbound, send_outbound

router = Router(tags=["messages"])


class MessageIn(Schema):
    template: str = Field(..., description="the template's slug, e.g. order-confirmation")
    customer_id: int | None = Field(None, description="the customer, or give their email")
    email: str | None = Field(None, description="found or created when customer_id is absent")
    first_name: str = Field(
        "", max_length=100, description="fills the customer's first name if the record has none"
    )
    last_name: str = Field(
        "", max_length=100, description="fills the customer's last name if the record has none"
    )
    event_id: int | None = Field(None, description="the business event the message is about")
    data: dict[str, Any] = Field({}, description="values added to the template's context")
    dedupe_key: str = Field(
        "",
        max_length=200,
        description="names the message: the same key twice sends once (default: from the event)",
    )
    topic: str | None = Field(None, description="a marketing topic the customer may refuse")
    defer_when_pressured: bool = True


class DeliveryOut(Schema):
    id: int
    customer_id: int | None
    template: str | None = Field(None, alias="template.slug")
    channel: str
    recipient: str
    purpose: str
    status: str
    reason: str = Field("", alias="refusal_reason")
    next_attempt_at: datetime | None
    sent_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    created_at: datetime


def customer_of(payload: MessageIn) -> Customer:
    """The customer named, or found or created by email; the names given fill their blanks
    (the greeting then says "Bonjour Jeanne,"), never overwrite what the record holds."""
    if payload.customer_id is not None:
        customer = customer_queries.get_customer(payload.customer_id)
    elif payload.email:
        try:
            customer = customer_services.find_or_create_customer_by_email(address=payload.email)
        except InvalidIdentity as error:
            raise ApiError(422, f"invalid email: {error}", {"email": str(error)}) from error
    else:
        raise ApiError(422, "give customer_id or email", {"customer_id": "required"})
    names = {"first_name": payload.first_name.strip(), "last_name": payload.last_name.strip()}
    try:
        customer_services.fill_blanks(
            customer=customer, values=names, source=ProfileChange.Source.API
        )
    except customer_services.InvalidProfile as error:
        raise ApiError(422, "invalid name", error.errors) from error
    return customer


@router.post("/messages", response={202: DeliveryOut}, auth=scope("messages:send"))
def send_message(request: HttpRequest, payload: MessageIn) -> Status[Delivery]:
    """Send a template to a customer through the sending path; answer the delivery recorded.

    The same dedupe key (or the same event and template) answers the first delivery again.
    """
    template = MessageTemplate.objects.filter(slug=payload.template).first()
    if template is None or template.live_version_id is None:
        raise ApiError(422, f"unknown template '{payload.template}'", {"template": "unknown"})
    customer = customer_of(payload)
    event = None
    if payload.event_id is not None:
        event = BusinessEvent.objects.filter(pk=payload.event_id, customer=customer).first()
        if event is None:
            raise ApiError(422, "no such event for this customer", {"event_id": "unknown"})
    delivery = send_outbound(
        Outbound(
            template=template,
            customer=customer,
            event=event,
            context=payload.data,
            dedupe_key=payload.dedupe_key,
            topic=payload.topic,
            defer_when_pressured=payload.defer_when_pressured,
        )
    )
    return Status(202, delivery)


@router.get("/deliveries/{delivery_id}", response=DeliveryOut, auth=scope("messages:send"))
def get_delivery(request: HttpRequest, delivery_id: int) -> Delivery:
    """One delivery: its channel, status, reason when refused or held, opens and clicks."""
    return get_object_or_404(Delivery.objects.select_related("template"), pk=delivery_id)
