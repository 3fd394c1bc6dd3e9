"""Matching an inbound sender to one customer record."""

import pytest

from comptoir.customers.identities import InvalidIdentity, normalise_email, normalise_phone
from comptoir.customers.models import Customer
from comptoir.customers.services import add_phone, find_or_create_customer_by_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jeanne.Martin@Example.FR", "jeanne.martin@example.fr"),
        ("  jeanne@example.fr ", "jeanne@example.fr"),
        ("élodie@exemple.fr", "élodie@exemple.fr"),
    ],
)
def test_email_is_normalised_for_matching(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "not an address", "a@b", "jeanne@@example.fr"])
def test_invalid_email_is_refused(raw):
    with pytest.raises(InvalidIdentity):
        normalise_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_phone_is_normalised_to_e164_with_france_as_default_region(raw, expected):
    assert normalise_phone(raw) == expected


def test_invalid_phone_is_refused():
    with pytest.raises(InvalidIdentity):
        normalise_phone("12")


@pytest.mark.django_db
def test_same_address_in_another_case_finds_the_same_customer():
    first = find_or_create_customer_by_email(address="Jeanne.Martin@example.fr", name="Jeanne Martin")
    second = find_or_create_customer_by_email(address="jeanne.martin@EXAMPLE.fr")
    assert first == second
    assert Customer.objects.count() == 1
    assert (first.first_name, first.last_name) == ("Jeanne", "Martin")


@pytest.mark.django_db
def test_phone_is_attached_once_in_e164():
    customer = find_or_create_customer_by_email(address="paul@example.fr")
    add_phone(customer=customer, number="06 12 34 56 78")
    add_phone(customer=customer, number="+33612345678")
    assert list(customer.identities.values_list("value", flat=True).order_by("kind")) == [
        "paul@example.fr",
        "+33612345678",
    ]
