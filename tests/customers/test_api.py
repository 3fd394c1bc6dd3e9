"""The JSON API: token authentication, scopes, customers, identities, consents, events."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from comptoir.agents.models import ApiToken
from comptoir.agents.tokens import create_api_token, hash_token, revoke_api_token
from comptoir.consents.models import ConsentRecord, Source
from comptoir.customers.models import BusinessEvent, Customer, Identity, ProfileChange
from tests.customers.conftest import EMAIL

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_is_served_without_a_token():
    schema = Client().get("/api/openapi.json").json()
    assert "/api/customers" in schema["paths"]
    assert "/api/events" in schema["paths"]
    assert "/api/customers/{customer_id}/consents" in schema["paths"]
    assert Client().get("/api/docs").status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer cpt_wrong", "Bearer ", "Basic abc"])
def test_a_request_without_a_valid_token_gets_401(customer, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = Client().get("/api/customers", headers=headers)
    assert response.status_code == 401
    assert "API token" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_gets_401(customer):
    created = create_api_token(name="old", scopes=["customers:read"])
    revoke_api_token(token=created.token)
    response = Client().get("/api/customers", headers={"Authorization": f"Bearer {created.secret}"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("get", "/api/customers", "customers:read"),
        ("post", "/api/customers", "customers:write"),
        ("post", "/api/events", "events:write"),
        ("post", "/api/customers/{pk}/consents", "consents:write"),
        ("get", "/api/customers/{pk}/consents", "customers:read"),
    ],
)
def test_a_token_without_the_scope_gets_403_naming_it(api_as, customer, method, path, scope):
    others = [s for s in ApiToken.Scope.values if s != scope]
    client = api_as(*others)
    url = path.format(pk=customer.pk)
    response = client.get(url) if method == "get" else client.post(url, {})
    assert response.status_code == 403
    assert response.json() == {"detail": f"this token lacks the scope '{scope}'"}


def test_only_a_hash_of_the_token_is_stored_and_its_use_is_noted(api_as, customer):
    created = create_api_token(name="boutique", scopes=["customers:read"])
    token = ApiToken.objects.get()
    assert token.token_hash == hash_token(created.secret) != created.secret
    assert created.secret not in str(ApiToken.objects.values_list())
    Client().get("/api/customers", headers={"Authorization": f"Bearer {created.secret}"})
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_command_prints_a_token_once(capsys):
    call_command("create_api_token", "ERP", "--scope", "events:write", "--scope", "customers:read")
    secret = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(token_hash=hash_token(secret))
    assert token.scopes == ["customers:read", "events:write"]


def test_customers_are_listed_searched_and_read(api_as, customer):
    Customer.objects.create(first_name="Paul")
    client = api_as("customers:read")

    listing = client.get("/api/customers", search="jeanne.martin@").json()
    assert listing["count"] == 1
    item = listing["items"][0]
    assert item["display_name"] == "Jeanne Martin"
    assert {(i["kind"], i["value"]) for i in item["identities"]} == {
        ("email", EMAIL),
        ("phone", "+33612345678"),
    }
    assert client.get("/api/customers", limit=1).json()["count"] == 2
    assert client.get(f"/api/customers/{customer.pk}").json()["first_name"] == "Jeanne"
    assert client.get("/api/customers/999999").status_code == 404


def test_a_customer_is_created_with_identities_and_refused_with_clear_errors(api_as, customer):
    client = api_as("customers:write")
    response = client.post(
        "/api/customers",
        {"first_name": "Luc", "market": "b2b", "emails": ["Luc@Example.fr"], "phones": ["0699887766"]},
    )
    assert response.status_code == 201, response.json()
    assert {i["value"] for i in response.json()["identities"]} == {"luc@example.fr", "+33699887766"}

    invalid = client.post("/api/customers", {"market": "b2z", "age_bracket": "old"})
    assert invalid.status_code == 422
    assert set(invalid.json()["errors"]) == {"market", "age_bracket"}

    taken = client.post("/api/customers", {"emails": [EMAIL]})
    assert taken.status_code == 409
    assert taken.json()["errors"] == {"customer_id": str(customer.pk)}
    assert Customer.objects.count() == 2  # the refused ones left nothing behind


def test_an_update_changes_only_the_given_fields_and_lands_in_the_timeline(api_as, customer):
    client = api_as("customers:write")
    response = client.patch(f"/api/customers/{customer.pk}", {"age_bracket": "35_49"})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.first_name, customer.age_bracket) == ("Jeanne", "35_49")
    change = ProfileChange.objects.get(customer=customer)
    assert (change.source, change.changes) == ("api", {"age_bracket": ["", "35_49"]})


def test_identities_are_added_and_removed(api_as, customer):
    client = api_as("customers:write")
    added = client.post(
        f"/api/customers/{customer.pk}/identities",
        {"kind": "social", "network": "instagram", "value": "@Jeanne_M"},
    )
    assert added.status_code == 201
    assert added.json()["value"] == "jeanne_m"
    assert client.post(
        f"/api/customers/{customer.pk}/identities", {"kind": "phone", "value": "12"}
    ).status_code == 422

    removed = client.delete(f"/api/customers/{customer.pk}/identities/{added.json()['id']}")
    assert removed.status_code == 204
    assert not Identity.objects.filter(kind="social").exists()


def test_consents_are_recorded_through_the_ledger_and_listed(api_as, customer):
    client = api_as("consents:write", "customers:read")
    response = client.post(
        f"/api/customers/{customer.pk}/consents",
        {
            "purpose": "marketing",
            "channel": "email",
            "status": "granted",
            "collected_at": "2026-11-01T10:00:00Z",
            "evidence": "checkout form, box ticked",
        },
    )
    assert response.status_code == 201, response.json()
    record = ConsentRecord.objects.get()
    assert (record.source, record.evidence) == (Source.API, "checkout form, box ticked")
    assert record.collected_at == datetime(2026, 11, 1, 10, tzinfo=UTC)

    bad = client.post(
        f"/api/customers/{customer.pk}/consents",
        {"purpose": "spam", "channel": "email", "status": "granted"},
    )
    assert bad.status_code == 422 and "unknown purpose 'spam'" in bad.json()["detail"]

    history = client.get(f"/api/customers/{customer.pk}/consents").json()
    assert [(r["purpose"], r["status"]) for r in history] == [("marketing", "granted")]


def test_a_business_event_is_recorded_once_per_external_id(api_as, customer):
    client = api_as("events:write", "customers:read")
    payload = {
        "customer_id": customer.pk,
        "kind": "order_placed",
        "source": "shop",
        "external_id": "order-1042",
        "occurred_at": "2026-11-20T15:30:00+01:00",
        "amount": "59.90",
        "currency": "eur",
        "data": {"items": 2},
    }
    first = client.post("/api/events", payload)
    again = client.post("/api/events", payload)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert BusinessEvent.objects.count() == 1
    customer.refresh_from_db()
    assert customer.last_purchase_at == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    events = client.get(f"/api/customers/{customer.pk}/events").json()
    assert events["count"] == 1 and events["items"][0]["currency"] == "EUR"


def test_an_event_for_an_unknown_email_creates_the_customer(api_as):
    client = api_as("events:write")
    response = client.post(
        "/api/events", {"email": "New.Buyer@example.fr", "kind": "card_expiring"}
    )
    assert response.status_code == 201
    assert Identity.objects.get(value="new.buyer@example.fr").customer.business_events.count() == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"kind": "order_placed"}, "give customer_id or email"),
        ({"email": "x@example.fr", "kind": "bought"}, "unknown event kind 'bought'"),
        ({"email": "nope", "kind": "other"}, "invalid email"),
    ],
)
def test_a_bad_event_is_refused_with_a_clear_message(api_as, payload, message):
    response = api_as("events:write").post("/api/events", payload)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert BusinessEvent.objects.count() == 0
