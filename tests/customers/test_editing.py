"""An agent corrects a customer's profile and identities from the 360 page."""

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.customers.models import CustomField, Customer, Identity, ProfileChange, Store
from tests.customers.conftest import EMAIL

pytestmark = pytest.mark.django_db


def logged_in(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def profile_post(**values: str) -> dict[str, str]:
    return {"kind": "person", "first_name": "", "last_name": "", "company_name": "", **values}


@pytest.mark.parametrize("name", ["customers:edit_profile", "customers:add_identity"])
def test_editing_needs_a_login(customer, name):
    response = Client().post(reverse(name, args=[customer.pk]), profile_post())
    assert response.status_code == 302 and "/login/" in response["Location"]
    customer.refresh_from_db()
    assert customer.first_name == "Jeanne"


def test_an_agent_corrects_the_profile_and_the_change_is_kept_with_their_name(agent, customer):
    store = Store.objects.create(name="Lyon Part-Dieu")
    CustomField.objects.create(name="loyalty_number", label="N° fidélité")
    response = logged_in(agent).post(
        reverse("customers:edit_profile", args=[customer.pk]),
        profile_post(
            first_name="Jeanne-Marie",
            last_name="Martin",
            age_bracket="35_49",
            store=str(store.pk),
            loyalty_number="F-778",
        ),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.first_name == "Jeanne-Marie"
    assert customer.age_bracket == "35_49" and customer.store == store
    assert customer.custom_fields == {"loyalty_number": "F-778"}
    change = ProfileChange.objects.get(customer=customer)
    assert change.agent == agent and change.source == ProfileChange.Source.AGENT
    assert change.changes["first_name"] == ["Jeanne", "Jeanne-Marie"]


def test_a_refused_profile_keeps_what_the_agent_typed(agent, customer):
    response = logged_in(agent).post(
        reverse("customers:edit_profile", args=[customer.pk]),
        profile_post(first_name="Jeanne-Marie", age_bracket="centenaire"),
    )
    assert response.status_code == 400
    assert 'value="Jeanne-Marie"' in response.text
    customer.refresh_from_db()
    assert customer.first_name == "Jeanne"


def test_an_agent_adds_a_phone_in_national_format(agent, customer):
    response = logged_in(agent).post(
        reverse("customers:add_identity", args=[customer.pk]),
        {"kind": "phone", "value": "04 78 12 34 56"},
    )
    assert response.status_code == 302
    assert customer.identities.filter(kind="phone", value="+33478123456").exists()


def test_an_address_another_customer_holds_is_refused_and_points_to_a_merge(agent, customer):
    other = Customer.objects.create(first_name="Paul")
    response = logged_in(agent).post(
        reverse("customers:add_identity", args=[other.pk]), {"kind": "email", "value": EMAIL}
    )
    assert response.status_code == 400
    assert f"n°{customer.pk}" in response.text
    assert Identity.objects.get(value=EMAIL).customer == customer


def test_a_malformed_email_is_refused(agent, customer):
    response = logged_in(agent).post(
        reverse("customers:add_identity", args=[customer.pk]),
        {"kind": "email", "value": "jeanne@@exemple"},
    )
    assert response.status_code == 400
    assert customer.identities.count() == 2


def test_an_agent_removes_an_identity_of_this_customer_only(agent, customer):
    other = Customer.objects.create(first_name="Paul")
    theirs = Identity.objects.create(customer=other, kind="email", value="paul@example.fr")
    client = logged_in(agent)
    wrong = client.post(reverse("customers:remove_identity", args=[customer.pk, theirs.pk]))
    assert wrong.status_code == 404
    phone = customer.identities.get(kind="phone")
    client.post(reverse("customers:remove_identity", args=[customer.pk, phone.pk]))
    assert not customer.identities.filter(kind="phone").exists()
    assert Identity.objects.filter(pk=theirs.pk).exists()
