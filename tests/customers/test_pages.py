"""The customer list, the 360 view, and the record beside a conversation."""

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.conversations import services as conversation_services
from comptoir.customers import services
from comptoir.customers.models import Customer, Identity, Segment, Store

pytestmark = pytest.mark.django_db


def logged_in(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


@pytest.mark.parametrize(
    "name", ["customers:list", "customers:gaps", "customers:import"]
)
def test_customer_pages_need_a_login(name):
    response = Client().get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_360_view_needs_a_login(customer):
    response = Client().get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 302


def test_an_agent_finds_a_customer_by_phone(agent, customer):
    Customer.objects.create(first_name="Paul")
    response = logged_in(agent).get(reverse("customers:list"), {"q": "612345678"})
    assert response.status_code == 200
    assert "Jeanne Martin" in response.text and "Paul" not in response.text


def test_the_360_view_shows_identities_profile_consents_segments_and_timeline(agent, customer):
    store = Store.objects.create(name="Lyon Part-Dieu", city="Lyon")
    company = Customer.objects.create(kind="company", company_name="Boulangerie Dupain")
    services.update_profile(
        customer=customer,
        values={"market": "b2b", "age_bracket": "35_49"},
        source="agent",
        store=store,
        company=company,
    )
    services.add_identity(customer=customer, kind="social", network="instagram", value="@jeanne")
    Segment.objects.create(name="Clients fidèles").customers.add(customer)
    services.record_business_event(customer=customer, kind="order_placed", title="Commande 1042")

    response = logged_in(agent).get(reverse("customers:detail", args=[customer.pk]))

    assert response.status_code == 200
    text = response.text
    for expected in (
        "jeanne.martin@example.fr",
        "+33612345678",
        "Instagram",
        "@jeanne",
        "Lyon Part-Dieu",
        "Boulangerie Dupain",
        "35–49",
        "Clients fidèles",
        "Commande 1042",
        "Consentements",
    ):
        assert expected in text, expected
    company_page = logged_in(agent).get(reverse("customers:detail", args=[company.pk]))
    assert "Jeanne Martin" in company_page.text


def test_the_timeline_filter_answers_htmx_with_the_timeline_only(agent, customer):
    services.record_business_event(customer=customer, kind="refund_issued", title="Avoir 12")
    response = logged_in(agent).get(
        reverse("customers:detail", args=[customer.pk]),
        {"channel": "email"},
        headers={"HX-Request": "true", "HX-Target": "timeline"},
    )
    assert response.status_code == 200
    assert response.text.startswith('<div id="timeline"')
    assert "Avoir 12" not in response.text


def test_the_360_view_speaks_english_too(agent, customer):
    client = logged_in(agent)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert "Consents and preferences" in response.text


def test_an_agent_answering_a_conversation_sees_the_customer_record(agent, customer):
    Segment.objects.create(name="VIP").customers.add(customer)
    conversation = conversation_services.open_conversation(customer=customer, subject="Colis")
    conversation_services.add_inbound_message(conversation=conversation, text="Bonjour")
    services.record_business_event(customer=customer, kind="payment_failed", title="Paiement refusé")

    response = logged_in(agent).get(reverse("conversations:detail", args=[conversation.pk]))

    assert response.status_code == 200
    assert "Fiche client" in response.text
    assert "VIP" in response.text and "Paiement refusé" in response.text
    assert reverse("customers:detail", args=[customer.pk]) in response.text


def test_the_customer_list_costs_the_same_queries_for_more_customers(agent, django_assert_max_num_queries):
    client = logged_in(agent)
    for number in range(3):
        customer = Customer.objects.create(first_name=f"C{number}")
        Identity.objects.create(customer=customer, kind="email", value=f"c{number}@example.fr")
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("customers:list"))
    for number in range(3, 40):
        customer = Customer.objects.create(first_name=f"C{number}")
        Identity.objects.create(customer=customer, kind="email", value=f"c{number}@example.fr")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("customers:list"))
