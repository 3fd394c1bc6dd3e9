"""Missing data: required fields set by an admin, the list of gaps, the customer's own form."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from comptoir.customers.completeness import (
    COMPLETION_SALT,
    list_customers_with_gaps,
    list_required_fields,
    missing_fields,
    request_profile_completion,
)
from comptoir.customers.models import (
    Customer,
    CustomField,
    Identity,
    ProfileChange,
    RequiredProfileField,
    Store,
)
from comptoir.customers.queries import PROFILE, list_timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(db):
    """Given an admin who requires a phone, an age bracket, a store and a loyalty number."""
    for field in ("phone", "age_bracket", "store", "company_name"):
        RequiredProfileField.objects.create(field=field)
    CustomField.objects.create(
        name="loyalty_card", label="Carte fidélité", required_for_completeness=True
    )
    return list_required_fields()


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def names(fields) -> list[str]:
    return [field.name for field in fields]


def test_customers_with_gaps_are_listed_with_what_they_lack(required, customer):
    complete = Customer.objects.create(
        first_name="Luc",
        age_bracket="25_34",
        store=Store.objects.create(name="Nantes"),
        custom_fields={"loyalty_card": "F-42"},
    )
    Identity.objects.create(customer=complete, kind="phone", value="+33699887766")
    company = Customer.objects.create(kind="company")

    with_gaps = list(list_customers_with_gaps(required))

    assert set(with_gaps) == {customer, company}
    assert names(missing_fields(customer, required)) == ["age_bracket", "store", "loyalty_card"]
    # The age bracket is asked of persons, the company name of companies.
    assert names(missing_fields(company, required)) == [
        "company_name", "phone", "store", "loyalty_card",
    ]  # fmt: skip


def test_the_gaps_page_lists_them_for_an_agent(required, customer, agent):
    client = Client()
    client.force_login(agent)
    response = client.get(reverse("customers:gaps"))
    assert response.status_code == 200
    assert "Jeanne Martin" in response.text and "Carte fidélité" in response.text


def test_an_agent_gets_a_link_to_copy_and_nothing_is_sent(required, customer, agent, mailoutbox):
    client = Client()
    client.force_login(agent)
    response = client.post(
        reverse("customers:completion_link", args=[customer.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "/p/" in response.text and "Copier le lien" in response.text
    assert mailoutbox == []


def test_the_customer_fills_only_the_missing_fields_and_the_answer_lands_in_the_record(
    required, customer
):
    store = Store.objects.create(name="Lyon Part-Dieu")
    url = path_of(request_profile_completion(customer))

    page = Client().get(url)
    assert page.status_code == 200
    assert "Bonjour Jeanne" in page.text
    assert 'name="loyalty_card"' in page.text and 'name="age_bracket"' in page.text
    assert 'name="phone"' not in page.text  # already known

    response = Client().post(
        url, {"age_bracket": "35_49", "store": store.pk, "loyalty_card": "F-1042"}
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.age_bracket, customer.store, customer.custom_fields) == (
        "35_49", store, {"loyalty_card": "F-1042"},
    )  # fmt: skip
    assert missing_fields(customer, required) == []
    change = ProfileChange.objects.get(customer=customer)
    assert change.source == ProfileChange.Source.COMPLETION_FORM
    assert set(change.changes) == {"age_bracket", "store", "loyalty_card"}
    assert [entry.kind for entry in list_timeline(customer, PROFILE).entries] == ["profile"]


def test_an_empty_answer_erases_nothing(required, customer):
    url = path_of(request_profile_completion(customer))
    response = Client().post(url, {"age_bracket": "", "loyalty_card": ""})
    assert response.status_code == 302
    assert not ProfileChange.objects.exists()


def test_a_phone_already_owned_by_another_record_is_refused_on_the_form(required, customer):
    RequiredProfileField.objects.filter(field="phone").delete()
    RequiredProfileField.objects.create(field="email")
    other = Customer.objects.create(first_name="Sans email")
    url = path_of(request_profile_completion(other))
    response = Client().post(url, {"email": "jeanne.martin@example.fr"})
    assert response.status_code == 400
    assert not other.identities.exists()


def test_an_altered_or_expired_link_finds_no_record(required, customer, settings):
    url = path_of(request_profile_completion(customer))
    assert Client().get(url[:-3] + "xyz/").status_code == 404
    old = signing.TimestampSigner(salt=COMPLETION_SALT)
    token = old.sign(str(customer.pk))
    timestamp_less = token.split(":")
    timestamp_less[1] = signing.b62_encode(0)
    stale = ":".join(timestamp_less)
    assert Client().get(f"/p/{stale}/").status_code == 404
