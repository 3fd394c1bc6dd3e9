"""Admins define canned responses, macros and automatic-answer rules in Django's admin."""

import pytest
from django.urls import reverse

from comptoir.answers.models import AutoAnswerRule, CannedResponse, Macro

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "admin:answers_cannedresponse_changelist",
    "admin:answers_cannedresponse_add",
    "admin:answers_macro_changelist",
    "admin:answers_macro_add",
    "admin:answers_autoanswerrule_changelist",
    "admin:answers_autoanswerrule_add",
    "admin:answers_autoanswer_changelist",
    "admin:conversations_tag_changelist",
]


def test_an_admin_opens_every_ready_answer_page(client, admin_agent, starter_responses):
    client.force_login(admin_agent)
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == 200, name


def test_an_agent_does_not_reach_the_admin_pages(client, agent):
    client.force_login(agent)
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == 302, name


def test_the_admin_refuses_a_response_with_an_unknown_placeholder(client, admin_agent):
    client.force_login(admin_agent)

    page = client.post(
        reverse("admin:answers_cannedresponse_add"),
        {"title": "Piège", "body": "{{ settings.SECRET_KEY }}", "is_active": "on"},
    )

    assert page.status_code == 200
    assert "{{ settings.SECRET_KEY }}" in page.content.decode()
    assert not CannedResponse.objects.filter(title="Piège").exists()


def test_the_admin_creates_a_rule_and_a_macro(client, admin_agent, starter_responses):
    client.force_login(admin_agent)
    response = starter_responses["Copie de facture"]

    page = client.post(
        reverse("admin:answers_autoanswerrule_add"),
        {"name": "Factures", "position": "1", "is_active": "on", "category": "billing",
         "keywords": "facture", "canned_response": response.pk},
    )
    assert page.status_code == 302
    empty = client.post(
        reverse("admin:answers_autoanswerrule_add"),
        {"name": "Tout", "position": "2", "canned_response": response.pk},
    )
    assert empty.status_code == 200
    page = client.post(
        reverse("admin:answers_macro_add"),
        {"name": "Clore", "set_status": "closed", "response_action": "insert",
         "note": "Clos par {{ conseiller }}", "is_active": "on"},
    )
    assert page.status_code == 302

    assert list(AutoAnswerRule.objects.values_list("name", flat=True)) == ["Factures"]
    assert Macro.objects.get().note == "Clos par {{ conseiller }}"
