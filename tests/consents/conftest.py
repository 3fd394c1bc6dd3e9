"""A customer with an email address and a phone number, and ways to write their history."""

from datetime import datetime

import pytest

from comptoir.consents.models import ConsentRecord, Source
from comptoir.customers.models import Customer, Identity

EMAIL = "jeanne.martin@example.fr"
PHONE = "+33612345678"


@pytest.fixture
def customer(db) -> Customer:
    customer = Customer.objects.create(first_name="Jeanne", last_name="Martin")
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=EMAIL)
    Identity.objects.create(customer=customer, kind=Identity.Kind.PHONE, value=PHONE)
    return customer


def record(
    customer: Customer,
    purpose: str,
    channel: str,
    status: str,
    at: datetime,
    source: str = Source.FORM,
) -> ConsentRecord:
    return ConsentRecord.objects.create(
        customer=customer,
        purpose=purpose,
        channel=channel,
        status=status,
        source=source,
        collected_at=at,
    )
