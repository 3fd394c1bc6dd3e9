"""Who may do what: admins only; agents get 403, anonymous visitors the login page."""

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.customers.models import Customer
from comptoir.privacy.audit import Actor, record_view
from comptoir.privacy.merging import merge_customers
from comptoir.privacy.models import AuditEntry, MergeRecord

pytestmark = pytest.mark.django_db


def pages(customer: Customer, record: MergeRecord) -> list[tuple[str, str, dict]]:
    other = Customer.objects.create(first_name="Autre")
    return [
        ("get", reverse("privacy:export", args=[customer.pk]), {}),
        ("get", reverse("privacy:erase", args=[customer.pk]), {}),
        ("post", reverse("privacy:erase", args=[customer.pk]), {"confirmation": str(customer)}),
        ("get", reverse("privacy:duplicates"), {}),
        ("post", reverse("privacy:merge"), {"kept": customer.pk, "merged": other.pk}),
        ("post", reverse("privacy:dismiss"), {"first": customer.pk, "second": other.pk}),
        ("get", reverse("privacy:merges"), {}),
        ("post", reverse("privacy:undo", args=[record.pk]), {}),
        ("get", reverse("privacy:audit"), {}),
    ]


@pytest.fixture
def merge(philomene, admin_agent) -> MergeRecord:
    second = Customer.objects.create(first_name="Philomène", last_name="Zorglubb")
    return merge_customers(kept=philomene, merged=second, actor=admin_agent)


def test_an_agent_can_neither_see_nor_change_anything(agent_client, philomene, merge):
    entries = AuditEntry.objects.count()
    for method, url, data in pages(philomene, merge):
        response = getattr(agent_client, method)(url, data)
        assert response.status_code == 403, url
    philomene.refresh_from_db()
    assert philomene.first_name == "Philomène"
    assert MergeRecord.objects.get().undone_at is None
    assert AuditEntry.objects.count() == entries


def test_an_outsider_is_sent_to_the_login_page(client: Client, philomene, merge):
    for method, url, data in pages(philomene, merge):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("agents:login"))
    assert Customer.objects.get(pk=philomene.pk).first_name == "Philomène"


def test_an_admin_sees_every_page(admin_client, philomene, merge):
    for url in [
        reverse("privacy:duplicates"),
        reverse("privacy:merges"),
        reverse("privacy:audit"),
        reverse("privacy:audit") + f"?customer={philomene.pk}",
        reverse("privacy:erase", args=[philomene.pk]),
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_the_merge_list_undoes_a_merge(admin_client, philomene, merge):
    response = admin_client.get(reverse("privacy:merges"))
    assert reverse("privacy:undo", args=[merge.pk]).encode() in response.content

    response = admin_client.post(reverse("privacy:undo", args=[merge.pk]))

    assert response.status_code == 302
    assert Customer.objects.filter(pk=merge.merged_id, last_name="Zorglubb").exists()


def test_views_are_logged_once_per_agent_and_quarter_hour(philomene, agent, admin_agent):
    record_view(philomene, agent)
    record_view(philomene, agent)
    record_view(philomene, admin_agent)
    record_view(philomene, Actor.api_token("Boutique"))

    viewers = list(
        AuditEntry.objects.filter(action="viewed", customer_id=philomene.pk)
        .order_by("pk")
        .values_list("actor_kind", "actor")
    )
    assert viewers == [("agent", "camille"), ("agent", "dominique"), ("api_token", "Boutique")]


def test_the_audit_log_lists_who_did_what(admin_client, philomene, merge):
    admin_client.get(reverse("privacy:export", args=[philomene.pk]))

    response = admin_client.get(reverse("privacy:audit") + f"?customer={philomene.pk}")

    actions = list(response.context["page"].object_list.values_list("action", flat=True))
    assert actions == ["exported", "merged"]


def test_opening_the_customer_page_is_logged(agent_client, admin_client, philomene):
    page = reverse("customers:detail", args=[philomene.pk])

    as_agent = agent_client.get(page)
    as_admin = admin_client.get(page)

    viewers = AuditEntry.objects.filter(action="viewed", customer_id=philomene.pk)
    assert sorted(viewers.values_list("actor", flat=True)) == ["camille", "dominique"]
    # The export and erase actions are on the page for admins only.
    export = reverse("privacy:export", args=[philomene.pk]).encode()
    assert export in as_admin.content and export not in as_agent.content
