"""The template pages: agents preview, admins edit (each save a version), test sends."""

import pytest
from django.core import mail
from django.urls import reverse

from comptoir.customers.models import Customer, Identity
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.services import load_catalogue, save_message_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):
    load_catalogue()
    return MessageTemplate.objects.get(slug="order-confirmation")


@pytest.fixture
def jeanne(db):
    customer = Customer.objects.create(first_name="Jeanne", last_name="Martin")
    Identity.objects.create(customer=customer, kind="email", value="jeanne.martin@example.fr")
    return customer


def edit_data(template: MessageTemplate, **changes: str) -> dict[str, str]:
    data = {
        "name": template.name,
        "slug": template.slug,
        "kind": template.kind,
        "channel": "email",
        "subject": template.subject,
        "body": template.body,
        "sample_event": '{"reference": "100482"}',
    }
    return {**data, **changes}


def test_pages_ask_for_a_login(client, catalogue):
    for url in (
        reverse("messaging:templates"),
        reverse("messaging:template_edit", args=[catalogue.pk]),
        reverse("messaging:template_preview", args=[catalogue.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_agent_previews_a_template_for_a_customer_with_the_gate_findings(
    client, agent, catalogue, jeanne, django_assert_max_num_queries
):
    client.force_login(agent)
    url = reverse("messaging:template_preview", args=[catalogue.pk])

    found = client.get(url, {"q": "jeanne"})
    with django_assert_max_num_queries(15):
        response = client.get(url, {"customer": jeanne.pk})

    assert f"?customer={jeanne.pk}" in found.content.decode()
    page = response.content.decode()
    assert response.status_code == 200
    assert "Jeanne, votre commande n° 100482 est confirmée" in page
    assert '<iframe class="preview-html"' in page and 'sandbox=""' in page
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in page
    assert "Bonjour Jeanne," in page
    assert "Nothing to correct." in page or "Rien à corriger." in page
    assert "Send a test" not in page and "Envoyer un test" not in page


def test_agent_cannot_edit_test_send_or_preview_a_draft(client, agent, catalogue, jeanne):
    client.force_login(agent)

    edit = client.post(
        reverse("messaging:template_edit", args=[catalogue.pk]), edit_data(catalogue, subject="x")
    )
    test_send = client.post(
        reverse("messaging:template_test_send", args=[catalogue.pk]),
        {"to": "moi@shop.example", "customer": jeanne.pk},
    )
    draft = client.post(
        reverse("messaging:template_preview", args=[catalogue.pk]),
        {"subject": "x", "body": "<p>x</p>", "customer": jeanne.pk},
    )

    assert (edit.status_code, test_send.status_code, draft.status_code) == (403, 403, 403)
    assert MessageTemplate.objects.get(pk=catalogue.pk).subject == catalogue.subject
    assert mail.outbox == []


def test_admin_saves_a_new_live_version_with_its_author(client, admin_agent, catalogue):
    client.force_login(admin_agent)

    response = client.post(
        reverse("messaging:template_edit", args=[catalogue.pk]),
        edit_data(catalogue, subject="Merci {{ first_name }}, commande {{ event.reference }}"),
    )

    catalogue.refresh_from_db()
    assert response.status_code == 302
    assert catalogue.subject == "Merci {{ first_name }}, commande {{ event.reference }}"
    assert catalogue.live_version.number == 2
    assert catalogue.live_version.author == admin_agent
    assert list(catalogue.versions.values_list("number", flat=True)) == [2, 1]


def test_a_template_with_a_syntax_error_is_refused_with_its_line(client, admin_agent, catalogue):
    client.force_login(admin_agent)

    response = client.post(
        reverse("messaging:template_edit", args=[catalogue.pk]),
        edit_data(catalogue, body="<p>{{ greeting }}</p>\n<p>{% for x in %}</p>"),
    )

    assert response.status_code == 400
    assert "Ligne 2" in response.content.decode() or "Line 2" in response.content.decode()
    assert catalogue.versions.count() == 1


def test_a_broken_template_previews_as_an_error_not_a_crash(client, agent, catalogue, jeanne):
    MessageTemplate.objects.filter(pk=catalogue.pk).update(body="{{ 1 / 0 }}")
    client.force_login(agent)

    response = client.get(
        reverse("messaging:template_preview", args=[catalogue.pk]), {"customer": jeanne.pk}
    )

    assert response.status_code == 200
    assert "ZeroDivisionError" in response.content.decode()


def test_admin_previews_an_unsaved_draft(client, admin_agent, catalogue, jeanne):
    client.force_login(admin_agent)

    response = client.post(
        reverse("messaging:template_preview", args=[catalogue.pk]),
        {
            "subject": "Essai {{ first_name }}",
            "body": "<p>{{ greeting }}</p>",
            "customer": jeanne.pk,
        },
    )

    assert "Essai Jeanne" in response.content.decode()
    assert catalogue.versions.count() == 1


def test_admin_test_send_is_marked_and_is_not_a_delivery(client, admin_agent, catalogue, jeanne):
    client.force_login(admin_agent)

    response = client.post(
        reverse("messaging:template_test_send", args=[catalogue.pk]),
        {"to": "moi@shop.example", "customer": jeanne.pk},
    )

    assert response.status_code == 302
    [sent] = mail.outbox
    assert sent.subject == "[TEST] Jeanne, votre commande n° 100482 est confirmée"
    assert sent.to == ["moi@shop.example"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert sent.alternatives[0][1] == "text/html"
    assert sent.body.startswith("Bonjour Jeanne,")
    assert Delivery.objects.count() == 0


def test_admin_makes_an_earlier_version_live_again(client, admin_agent, catalogue):
    original = catalogue.subject
    save_message_template(
        template=catalogue, subject="Autre", body=catalogue.body, author=admin_agent
    )
    client.force_login(admin_agent)

    client.post(reverse("messaging:version_restore", args=[catalogue.pk, 1]))

    catalogue.refresh_from_db()
    assert catalogue.subject == original
    assert catalogue.live_version.number == 3


def test_agent_reads_the_list_and_admin_reaches_the_django_admin(
    client, agent, admin_agent, catalogue
):
    client.force_login(agent)
    page = client.get(reverse("messaging:templates")).content.decode()
    assert "Confirmation de commande" in page
    assert reverse("letters:list") not in page  # the print queue is an admin's
    client.force_login(admin_agent)
    page = client.get(reverse("messaging:templates")).content.decode()
    assert reverse("campaigns:list") in page and reverse("letters:list") in page
    assert "Courriers à imprimer" in page
    assert (
        client.get(
            reverse("admin:messaging_messagetemplate_change", args=[catalogue.pk])
        ).status_code
        == 200
    )
    assert client.get(reverse("admin:messaging_messageblock_changelist")).status_code == 200


def test_a_template_saved_in_the_django_admin_is_a_new_version(client, admin_agent, catalogue):
    client.force_login(admin_agent)
    url = reverse("admin:messaging_messagetemplate_change", args=[catalogue.pk])
    data = edit_data(catalogue, subject="{{ 'merci pour votre commande'|with_first_name }}")
    data.update({"versions-TOTAL_FORMS": "0", "versions-INITIAL_FORMS": "1"})

    response = client.post(url, data)

    catalogue.refresh_from_db()
    assert response.status_code == 302
    assert catalogue.live_version.number == 2
    assert catalogue.live_version.author == admin_agent


def test_the_template_list_costs_the_same_for_the_whole_catalogue(
    client, agent, catalogue, django_assert_max_num_queries
):
    client.force_login(agent)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("messaging:templates"))

    assert response.content.decode().count("/preview/") == 22
