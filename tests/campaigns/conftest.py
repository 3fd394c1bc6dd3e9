"""A shop's customers who bought lately (soft opt-in to marketing email), a segment of them,
and the catalogue's live-session invitation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.campaigns import services
from comptoir.campaigns.models import Campaign
from comptoir.customers.models import Customer, Identity, Segment
from comptoir.messaging.models import MessageTemplate
from comptoir.messaging.services import load_catalogue
from tests.pressure_fixtures import send_at_any_hour  # noqa: F401 (fixture)
from tests.smtp_sink import smtp_sink  # noqa: F401 (fixture)

SESSION = {
    "session_on": "2026-12-10",
    "time": "18 h 30",
    "topic": "nos idées pour éclairer les fêtes",
    "url": "https://maison-lumiere.example/direct",
}


def make_customer(number: int, *, first_name: str = "", bought: bool = True) -> Customer:
    customer = Customer.objects.create(
        first_name=first_name or f"Client{number}",
        last_name="Martin",
        last_purchase_at=timezone.now() - timedelta(days=30) if bought else None,
    )
    Identity.objects.create(
        customer=customer, kind=Identity.Kind.EMAIL, value=f"client{number}@example.fr"
    )
    return customer


@pytest.fixture
def invitation(db) -> MessageTemplate:
    load_catalogue()
    return MessageTemplate.objects.select_related("live_version").get(
        slug="live-session-invitation"
    )


@pytest.fixture
def customers(db) -> list[Customer]:
    return [make_customer(number) for number in range(1, 6)]


@pytest.fixture
def segment(customers) -> Segment:
    segment = Segment.objects.create(name="Amateurs de luminaires")
    segment.customers.add(*customers)
    return segment


@pytest.fixture
def no_worker(settings):
    """Recorded deliveries stay queued: the task that would wake a worker goes nowhere."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def make_campaign(template: MessageTemplate, segment: Segment, **fields) -> Campaign:
    fields.setdefault("rate_per_minute", 600)
    campaign, _ = services.create_campaign(
        name="Séance en direct de décembre",
        template=template,
        segment=segment,
        created_by=None,
        details=SESSION,
        **fields,
    )
    return campaign


@pytest.fixture
def campaign(invitation, segment) -> Campaign:
    return make_campaign(invitation, segment)
