"""Export: everything held about the person, in one zip, and only about them."""

import io
import json
import zipfile

import pytest

from comptoir.mail.models import InboundEmail
from comptoir.privacy.export import FORMAT, export_customer
from comptoir.privacy.models import AuditEntry
from tests.privacy.conftest import ATTACHMENT_CONTENT, EMAIL, IP_ADDRESS, PHONE

pytestmark = pytest.mark.django_db


def open_export(content: bytes) -> tuple[zipfile.ZipFile, dict]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return archive, json.loads(archive.read("customer.json"))


def test_export_holds_the_record_its_history_and_its_files(philomene, paul):
    archive, document = open_export(export_customer(philomene))

    assert document["format"] == FORMAT
    assert document["customer"]["first_name"] == "Philomène"
    assert {i["value"] for i in document["identities"]} == {EMAIL, PHONE}
    assert [c["ip_address"] for c in document["consents"]] == [IP_ADDRESS, IP_ADDRESS]
    assert document["preference"]["topics"] == ["offers"]
    assert [s["value"] for s in document["suppressions"]] == [EMAIL]
    [conversation] = document["conversations"]
    directions = [m["direction"] for m in conversation["messages"]]
    assert directions == ["inbound", "outbound", "outbound", "internal"]
    inbound = conversation["messages"][0]
    assert "parapluie mandarine" in inbound["text"]
    [attachment] = inbound["attachments"]
    assert archive.read(attachment["file"]) == ATTACHMENT_CONTENT
    raw = InboundEmail.objects.get(message__customer=philomene).raw
    assert archive.read(inbound["raw_email_file"]) == bytes(raw)
    assert conversation["messages"][1]["deliveries"][0]["recipient"] == EMAIL
    assert document["other"]["customers.businessevent"][0]["amount"] == "49.90"
    assert document["other"]["customers.profilechange"][0]["source"] == "agent"
    assert len(document["other"]["customers.segment_customers"]) == 1
    # Nothing of Paul's.
    assert b"Durand" not in b"".join(archive.read(name) for name in archive.namelist())


def test_export_download_is_for_admins_and_audited(admin_client, philomene):
    response = admin_client.get(f"/customers/{philomene.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"customer-{philomene.pk}.zip" in response["Content-Disposition"]
    _archive, document = open_export(response.content)
    assert document["customer"]["id"] == philomene.pk
    entry = AuditEntry.objects.get(action="exported", customer_id=philomene.pk)
    assert entry.actor == "dominique"
    # The next export carries this one in its audit section.
    _archive, document = open_export(export_customer(philomene))
    assert [e["action"] for e in document["audit"]] == ["exported"]
