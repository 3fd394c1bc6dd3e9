"""The export through the JSON API: a token with the scope customers:export, and only that."""

import io
import json
import zipfile

import pytest

from comptoir.agents.tokens import create_api_token
from comptoir.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


def bearer(*scopes: str) -> dict[str, str]:
    created = create_api_token(name="Compte client boutique", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {created.secret}"}


def test_a_token_with_the_export_scope_gets_the_zip(client, philomene):
    response = client.get(f"/api/customers/{philomene.pk}/export", **bearer("customers:export"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert json.loads(archive.read("customer.json"))["customer"]["last_name"] == "Zorglub"
    entry = AuditEntry.objects.get(action="exported")
    assert (entry.actor_kind, entry.actor, entry.customer_id) == (
        "api_token",
        "Compte client boutique",
        philomene.pk,
    )


def test_reading_customers_is_not_enough_to_export(client, philomene):
    response = client.get(f"/api/customers/{philomene.pk}/export", **bearer("customers:read"))
    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


def test_an_outsider_without_a_token_gets_nothing(client, philomene):
    assert client.get(f"/api/customers/{philomene.pk}/export").status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Bearer cpt_not-a-token"}
    assert client.get(f"/api/customers/{philomene.pk}/export", **bad).status_code == 401


def test_an_unknown_customer_is_404(client):
    assert (
        client.get("/api/customers/999999/export", **bearer("customers:export")).status_code == 404
    )
