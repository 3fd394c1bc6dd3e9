"""The campaign pages: admins create, preview, launch, pause, cancel and read the report; an
agent who is not an admin and the outsider get 403 on every one."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comptoir.campaigns import services
from comptoir.campaigns.models import Campaign
from comptoir.consents import services as consents
from comptoir.consents.models import Source
from comptoir.messaging.models import Delivery
from comptoir.teams.models import Team
from tests.campaigns.conftest import SESSION, make_customer
from tests.routing.conftest import make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, admin_agent) -> Client:
    client.force_login(admin_agent)
    return client


@pytest.fixture
def outsider(db):
    team = Team.objects.create(name="Niveau 1 externe", is_outsourced=True)
    return make_agent("olivier", teams=[team])


def campaign_urls(campaign: Campaign) -> list[str]:
    names = ["detail", "preview", "launch", "pause", "resume", "cancel", "export"]
    return [
        reverse("campaigns:list"),
        reverse("campaigns:new"),
        *[reverse(f"campaigns:{name}", args=[campaign.pk]) for name in names],
    ]


@pytest.fixture
def sent_campaign(campaign, no_worker) -> Campaign:
    services.launch_campaign(campaign=campaign)
    services.advance_campaign(campaign_id=campaign.pk, at=timezone.now() + timedelta(minutes=1))
    campaign.refresh_from_db()
    return campaign


@pytest.mark.parametrize("persona", ["agent", "outsider"])
def test_only_admins_open_campaign_pages(request, client, sent_campaign, persona):
    client.force_login(request.getfixturevalue(persona))
    status_before = sent_campaign.status

    for url in campaign_urls(sent_campaign):
        # A method the page does not take may answer 405 before the role is checked.
        answers = {client.get(url).status_code, client.post(url).status_code}
        assert 403 in answers and answers <= {403, 405}, url

    sent_campaign.refresh_from_db()
    assert sent_campaign.status == status_before


def test_pages_ask_for_a_login(client, sent_campaign):
    response = client.get(reverse("campaigns:list"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_admin_creates_a_campaign_for_a_segment_and_sees_the_launch_confirmation(
    admin_client, invitation, segment, customers, no_worker
):
    consents.withdraw_marketing(customer=customers[0], proof=consents.Proof(source=Source.AGENT))
    response = admin_client.post(
        reverse("campaigns:new"),
        {
            "name": "Séance de décembre",
            "template": invitation.pk,
            "segment": segment.pk,
            "rate_per_minute": 300,
            "topic": "events",
            "defer_when_pressured": "on",
            "details": '{"session_on": "2026-12-10", "time": "18 h 30", "topic": "les fêtes"}',
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    assert (campaign.rate_per_minute, campaign.topic, campaign.defer_when_pressured) == (
        300,
        "events",
        True,
    )
    assert campaign.details["time"] == "18 h 30"

    confirmation = admin_client.get(reverse("campaigns:launch", args=[campaign.pk]))
    page = confirmation.content.decode()
    assert confirmation.status_code == 200
    assert "5 clients" in page
    assert "1 d’entre eux" in page or "1 d'entre eux" in page
    assert "Consentement retiré" in page

    launched = admin_client.post(reverse("campaigns:launch", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert launched.status_code == 302
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.recipients.count() == 5


def test_admin_uploads_a_list_and_sees_the_lines_that_name_nobody(admin_client, invitation):
    make_customer(1)
    upload = SimpleUploadedFile(
        "invites.csv", b"email\nclient1@example.fr\ninconnue@example.fr\n", "text/csv"
    )
    response = admin_client.post(
        reverse("campaigns:new"),
        {
            "name": "Liste VIP",
            "template": invitation.pk,
            "recipient_list": upload,
            "rate_per_minute": 600,
            "details": "{}",
        },
        follow=True,
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "inconnue@example.fr" in page
    assert Campaign.objects.get().recipients.count() == 1


def test_a_campaign_needs_a_segment_or_a_list(admin_client, invitation, segment):
    response = admin_client.post(
        reverse("campaigns:new"),
        {"name": "Rien", "template": invitation.pk, "rate_per_minute": 600, "details": "{}"},
    )
    assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_admin_previews_the_message_for_a_recipient_with_the_campaign_details(
    admin_client, campaign, customers
):
    response = admin_client.get(
        reverse("campaigns:preview", args=[campaign.pk]), {"customer": customers[1].pk}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Client2" in page
    assert "18 h 30" in page and SESSION["topic"] in page


def test_admin_pauses_resumes_and_cancels(admin_client, sent_campaign, invitation, segment):
    running = services.create_campaign(
        name="Autre", template=invitation, segment=segment, created_by=None
    )[0]
    services.launch_campaign(campaign=running)

    admin_client.post(reverse("campaigns:pause", args=[running.pk]))
    running.refresh_from_db()
    assert running.status == Campaign.Status.PAUSED
    admin_client.post(reverse("campaigns:resume", args=[running.pk]))
    running.refresh_from_db()
    assert running.status == Campaign.Status.SENDING
    admin_client.post(reverse("campaigns:cancel", args=[running.pk]))
    running.refresh_from_db()
    assert running.status == Campaign.Status.CANCELLED
    # A finished campaign stays finished.
    admin_client.post(reverse("campaigns:cancel", args=[sent_campaign.pk]))
    sent_campaign.refresh_from_db()
    assert sent_campaign.status == Campaign.Status.DONE


def test_the_report_page_and_the_csv_export_show_each_delivery(admin_client, sent_campaign):
    Delivery.objects.filter(campaign=sent_campaign).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )
    Delivery.objects.filter(campaign=sent_campaign, recipient="client1@example.fr").update(
        recipient='=HYPERLINK("http://evil")'
    )
    page = admin_client.get(reverse("campaigns:detail", args=[sent_campaign.pk]))
    assert page.status_code == 200
    assert "Envoyés" in page.content.decode() or "Envoyé" in page.content.decode()

    export = admin_client.get(reverse("campaigns:export", args=[sent_campaign.pk]))
    text = b"".join(export.streaming_content).decode()
    lines = text.lstrip("\ufeff").strip().splitlines()
    assert export["Content-Type"].startswith("text/csv")
    assert len(lines) == 6
    assert "client2@example.fr" in text
    assert ";\"'=HYPERLINK" in text, "a formula is never left for a spreadsheet to run"


def test_the_campaign_list_costs_the_same_queries_however_many_campaigns(
    admin_client, invitation, segment, django_assert_max_num_queries
):
    services.create_campaign(name="Une", template=invitation, segment=segment, created_by=None)
    url = reverse("campaigns:list")
    admin_client.get(url)
    with django_assert_max_num_queries(20) as few:
        admin_client.get(url)
    for number in range(5):
        services.create_campaign(
            name=f"Campagne {number}", template=invitation, segment=segment, created_by=None
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin_client.get(url)
    content = page.content.decode()
    assert all(f"Campagne {number}" in content for number in range(5))


def test_the_report_links_to_the_campaigns_deliveries_on_the_outbound_log(
    admin_client, sent_campaign, django_assert_max_num_queries
):
    for number in range(10, 20):
        customer = make_customer(number)
        Delivery.objects.create(
            customer=customer, template=sent_campaign.template, recipient=f"c{number}@example.fr"
        )
    report = admin_client.get(reverse("campaigns:detail", args=[sent_campaign.pk]))
    link = f"{reverse('messaging:deliveries')}?campaign={sent_campaign.pk}"
    assert link in report.content.decode()

    admin_client.get(link)
    with django_assert_max_num_queries(25):
        page = admin_client.get(link)

    shown = page.context["page"].object_list
    assert len(shown) == 5
    assert {delivery.campaign_id for delivery in shown} == {sent_campaign.pk}
    assert len(admin_client.get(reverse("messaging:deliveries")).context["page"].object_list) == 15
