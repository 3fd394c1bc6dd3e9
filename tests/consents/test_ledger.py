"""The consent ledger only grows: rows are never changed nor deleted one by one."""

import pytest
from django.urls import reverse
from django.utils import timezone

from comptoir.consents import services
from comptoir.consents.models import (
    AppendOnlyError,
    Channel,
    ConsentRecord,
    ConsentStatus,
    Purpose,
    Source,
    Suppression,
)
from comptoir.consents.rules import may_send
from comptoir.consents.services import Proof
from tests.consents.conftest import EMAIL, record


@pytest.fixture
def granted(customer) -> ConsentRecord:
    return record(customer, Purpose.MARKETING, Channel.EMAIL, ConsentStatus.GRANTED, timezone.now())


@pytest.mark.django_db
def test_a_record_cannot_be_changed(granted):
    granted.status = ConsentStatus.WITHDRAWN
    with pytest.raises(AppendOnlyError):
        granted.save()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.filter(pk=granted.pk).update(status=ConsentStatus.WITHDRAWN)
    assert ConsentRecord.objects.get(pk=granted.pk).status == ConsentStatus.GRANTED


@pytest.mark.django_db
def test_a_record_cannot_be_deleted(granted):
    with pytest.raises(AppendOnlyError):
        granted.delete()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.all().delete()
    assert ConsentRecord.objects.count() == 1


@pytest.mark.django_db
def test_erasing_the_customer_still_erases_their_ledger(customer, granted):
    customer.delete()
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_a_change_of_mind_is_a_new_row(customer, granted):
    services.withdraw_marketing(customer=customer, proof=Proof(source=Source.AGENT))

    statuses = list(
        customer.consent_records.filter(channel=Channel.EMAIL).values_list("status", flat=True)
    )
    assert statuses == [ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN]
    assert not may_send(customer, Purpose.MARKETING, Channel.EMAIL).allowed


@pytest.mark.django_db
def test_withdrawing_twice_adds_nothing_the_second_time(customer):
    proof = Proof(source=Source.ONE_CLICK)
    first = services.withdraw_marketing(customer=customer, proof=proof)
    second = services.withdraw_marketing(customer=customer, proof=proof)
    assert [r.channel for r in first] == [Channel.EMAIL, Channel.SMS]
    assert second == []


@pytest.mark.django_db
def test_the_admin_shows_the_ledger_read_only(client, admin_agent, granted):
    client.force_login(admin_agent)
    changelist = reverse("admin:consents_consentrecord_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:consents_consentrecord_add")).status_code == 403
    change = reverse("admin:consents_consentrecord_change", args=[granted.pk])
    page = client.get(change)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(change, {"status": "withdrawn"}).status_code == 403
    delete = reverse("admin:consents_consentrecord_delete", args=[granted.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ConsentRecord.objects.get(pk=granted.pk).status == ConsentStatus.GRANTED


@pytest.mark.django_db
def test_the_admin_stores_a_suppression_normalised(client, admin_agent):
    client.force_login(admin_agent)
    response = client.post(
        reverse("admin:consents_suppression_add"),
        {
            "value": " Jeanne.Martin@Example.FR ",
            "channel": "email",
            "reason": "manual",
            "note": "",
            "created_at_0": "2026-01-05",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    assert Suppression.objects.get().value == EMAIL
