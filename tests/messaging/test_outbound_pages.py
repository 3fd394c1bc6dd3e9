"""The outbound log (admins) and an agent sending a template to one customer."""

import re

import pytest
from django.test import Client

from comptoir.customers.models import Customer, Identity
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.services import load_catalogue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def customer(db) -> Customer:
    load_catalogue()
    customer = Customer.objects.create(first_name="Jeanne", last_name="Martin")
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value="jeanne@example.fr")
    return customer


def logged_in(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def test_an_agent_sends_a_template_to_a_customer_once_even_when_the_form_is_posted_twice(
    agent, customer
):
    client = logged_in(agent)
    page = client.get(f"/customers/{customer.pk}/send/")
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', page.content.decode()).group(1)
    template = MessageTemplate.objects.get(slug="request-follow-up")

    first = client.post(
        f"/customers/{customer.pk}/send/",
        {"template": template.pk, "request_key": key},
        follow=True,
    )
    client.post(f"/customers/{customer.pk}/send/", {"template": template.pk, "request_key": key})

    delivery = Delivery.objects.get(customer=customer)
    assert (delivery.channel, delivery.recipient) == ("email", "jeanne@example.fr")
    assert "jeanne@example.fr" in first.content.decode()


def test_a_refused_send_tells_the_agent_why(agent, customer):
    client = logged_in(agent)
    template = MessageTemplate.objects.get(slug="live-session-invitation")
    response = client.post(
        f"/customers/{customer.pk}/send/",
        {"template": template.pk, "request_key": "abc"},
        follow=True,
    )
    assert Delivery.objects.get(customer=customer).status == Delivery.Status.REFUSED
    assert "Message non envoyé" in response.content.decode()


def test_the_outbound_log_lists_deliveries_with_their_reason_for_admins_only(
    agent, admin_agent, customer
):
    client = logged_in(agent)
    template = MessageTemplate.objects.get(slug="live-session-invitation")
    client.post(f"/customers/{customer.pk}/send/", {"template": template.pk, "request_key": "k1"})

    assert client.get("/messages/deliveries/").status_code == 403
    admin = logged_in(admin_agent)
    page = admin.get("/messages/deliveries/", {"status": "refused"}).content.decode()
    assert "jeanne@example.fr" in page and template.name in page
    assert "Pas de consentement" in page or "consentement" in page.lower()
    empty = admin.get("/messages/deliveries/", {"status": "sent"}).content.decode()
    assert "jeanne@example.fr" not in empty
    assert admin.get("/messages/deliveries/", {"status": "nonsense"}).status_code == 200
