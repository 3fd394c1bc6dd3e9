"""Likely duplicates: the same mailbox or number written differently, close names together."""

import pytest
from django.urls import reverse

from comptoir.customers.models import Customer, Identity
from comptoir.privacy.duplicates import canonical_mailbox, find_duplicate_candidates
from comptoir.privacy.models import DismissedDuplicate

pytestmark = pytest.mark.django_db


def customer(first: str = "", last: str = "", company: str = "", **identities: str) -> Customer:
    record = Customer.objects.create(first_name=first, last_name=last, company_name=company)
    for kind, value in identities.items():
        Identity.objects.create(customer=record, kind=kind, value=value)
    return record


def found() -> dict[tuple[int, int], str]:
    return {(c.first_id, c.second_id): c.reason for c in find_duplicate_candidates()}


def test_the_same_gmail_mailbox_with_dots_or_a_tag_is_one_person():
    assert canonical_mailbox("Jean.Dupont+boutique@googlemail.com") == "jeandupont@gmail.com"
    assert canonical_mailbox("jean.dupont+shop@orange.fr") == "jean.dupont@orange.fr"
    first = customer(email="jean.dupont@gmail.com")
    second = customer(email="jeandupont+soldes@gmail.com")
    customer(email="jean.dupont@orange.fr")

    assert found() == {(first.pk, second.pk): "same_email"}


def test_the_same_number_under_another_country_code():
    first = customer(phone="+33612345678")
    second = customer(phone="+262612345678")
    assert found() == {(first.pk, second.pk): "same_phone"}


def test_close_names_at_the_same_company_but_not_elsewhere():
    first = customer("Hélène", "Lefèvre", "ACME")
    second = customer("Helene", "Lefevre", "Acme")
    third = customer("Lefèvre", "Hélène", "acme ")
    customer("Hélène", "Lefèvre", "Boulangerie Martin")
    customer("Paul", "Durand", "ACME")

    candidates = find_duplicate_candidates()

    pairs = {(c.first_id, c.second_id) for c in candidates}
    assert pairs == {(first.pk, second.pk), (first.pk, third.pk), (second.pk, third.pk)}
    assert {c.reason for c in candidates} == {"close_name_same_company"}
    assert all(c.score >= 85 for c in candidates)


def test_a_dismissed_pair_is_not_proposed_again(admin_client):
    first = customer("Hélène", "Lefèvre", "ACME")
    second = customer("Hélène", "Lefevre", "ACME")

    response = admin_client.get(reverse("privacy:duplicates"))
    assert response.context["rows"][0]["candidate"].reason == "close_name_same_company"
    admin_client.post(reverse("privacy:dismiss"), {"first": second.pk, "second": first.pk})

    assert DismissedDuplicate.objects.filter(first_id=first.pk, second_id=second.pk).exists()
    assert found() == {}


def test_the_review_screen_merges_the_pair(admin_client):
    first = customer("Hélène", "Lefèvre", "ACME", email="helene@acme.example")
    second = customer("Helene", "Lefevre", "ACME", phone="+33612345678")

    response = admin_client.post(reverse("privacy:merge"), {"kept": first.pk, "merged": second.pk})

    assert response.status_code == 302
    assert not Customer.objects.filter(pk=second.pk).exists()
    assert set(first.identities.values_list("kind", flat=True)) == {"email", "phone"}
    assert found() == {}
