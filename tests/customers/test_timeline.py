"""One timeline of every interaction, newest first, filterable by channel, in a few queries."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comptoir.consents.models import ConsentRecord
from comptoir.conversations import services as conversation_services
from comptoir.conversations.models import Message
from comptoir.customers import services
from comptoir.customers.models import ProfileChange
from comptoir.customers.queries import (
    BUSINESS,
    CONSENT,
    PROFILE,
    TIMELINE_SOURCES,
    list_timeline,
)

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def at(days: int) -> datetime:
    return DAY + timedelta(days=days)


@pytest.fixture
def history(customer, agent):
    """Given one interaction of each kind, on different days."""
    conversation = conversation_services.open_conversation(customer=customer, subject="Colis")
    inbound = conversation_services.add_inbound_message(
        conversation=conversation, text="Où est mon colis ?", sent_at=at(1)
    )
    note = Message.objects.create(
        conversation=conversation, direction="internal", author=agent, text="Vu avec le dépôt"
    )
    Message.objects.filter(pk=note.pk).update(created_at=at(4))
    services.record_business_event(
        customer=customer, kind="order_placed", occurred_at=at(0), external_id="o-1"
    )
    services.record_business_event(
        customer=customer, kind="payment_failed", occurred_at=at(3), external_id="p-1"
    )
    ConsentRecord.objects.create(
        customer=customer, purpose="marketing", channel="email", status="granted",
        source="form", collected_at=at(2),
    )  # fmt: skip
    change = ProfileChange.objects.create(
        customer=customer, source="agent", changes={"age_bracket": ["", "35_49"]}
    )
    ProfileChange.objects.filter(pk=change.pk).update(created_at=at(5))
    return inbound


def test_every_interaction_is_in_one_timeline_newest_first(customer, history):
    page = list_timeline(customer)
    assert [(entry.channel, entry.kind) for entry in page.entries] == [
        (PROFILE, "profile"),
        ("email", "internal"),
        (BUSINESS, "payment_failed"),
        (CONSENT, "granted"),
        ("email", "inbound"),
        (BUSINESS, "order_placed"),
    ]
    # An email is dated by its Date header, not by when it was stored.
    assert page.entries[4].at == at(1)
    assert page.entries[4].url.endswith(f"#message-{history.pk}")


@pytest.mark.parametrize(
    ("channel", "kinds"),
    [
        ("email", ["internal", "inbound"]),
        (BUSINESS, ["payment_failed", "order_placed"]),
        (CONSENT, ["granted"]),
        (PROFILE, ["profile"]),
        ("sms", []),
    ],
)
def test_the_timeline_is_filtered_by_channel(customer, history, channel, kinds):
    assert [entry.kind for entry in list_timeline(customer, channel).entries] == kinds


def test_the_timeline_is_paginated_across_sources(customer, history):
    first = list_timeline(customer, page_size=4)
    second = list_timeline(customer, page=2, page_size=4)
    assert first.has_next and not second.has_next
    assert len(first.entries) == 4 and len(second.entries) == 2
    assert first.entries[-1].at > second.entries[0].at


def test_the_timeline_costs_one_query_per_source_whatever_the_history(customer, history):
    with CaptureQueriesContext(connection) as small:
        list_timeline(customer)
    for day in range(30):
        services.record_business_event(
            customer=customer, kind="other", occurred_at=at(day), external_id=f"x-{day}"
        )
    with CaptureQueriesContext(connection) as large:
        list_timeline(customer, page=2)
    assert len(small) == len(large) == len(TIMELINE_SOURCES)
