"""The dashboard, its CSV and the quality review through the test client."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.insights.models import QualityReview
from tests.insights.conftest import PERIOD

pytestmark = pytest.mark.django_db
PERIOD_QUERY = {"date_from": PERIOD[0].isoformat(), "date_to": PERIOD[1].isoformat()}


def logged_in(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def manager_pages(desk) -> list[str]:
    return [
        reverse("insights:dashboard"),
        reverse("insights:export"),
        reverse("insights:quality") + "?seed=1",
        reverse("insights:review", args=[desk.conversations["c7"].pk]),
    ]


def test_anonymous_is_sent_to_login(client, desk):
    for url in manager_pages(desk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("agents:login")), url


def test_plain_agent_gets_403_everywhere(desk, agent):
    client = logged_in(agent)
    for url in manager_pages(desk):
        assert client.get(url).status_code == 403, url
    assert "Chiffres" not in client.get(reverse("conversations:inbox")).content.decode()


def test_admin_sees_every_team_with_charts_in_french(desk, admin_agent):
    response = logged_in(admin_agent).get(reverse("insights:dashboard"), PERIOD_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Niveau 1" in page and "Facturation" in page
    assert "Taux de réouverture" in page
    assert page.count("<svg") == 2
    assert "Chiffres" in page  # the navigation link


def test_team_lead_sees_only_the_teams_they_lead(desk, lead):
    response = logged_in(lead).get(reverse("insights:dashboard"), PERIOD_QUERY)
    assert response.status_code == 200
    board = response.context["board"]
    assert {row.team for row in board.team_totals} == {desk.billing}
    assert board.total.figures.received == 2
    # Asking for another team's figures is not possible: it is not a choice.
    other = logged_in(lead).get(
        reverse("insights:dashboard"), {**PERIOD_QUERY, "team": desk.level_1.pk}
    )
    assert "board" not in other.context


def test_a_period_ending_before_it_starts_is_refused(desk, admin_agent):
    client = logged_in(admin_agent)
    query = {"date_from": "2026-03-15", "date_to": "2026-03-02"}
    response = client.get(reverse("insights:dashboard"), query)
    assert "board" not in response.context
    assert "La période se termine avant de commencer." in response.content.decode()
    assert client.get(reverse("insights:export"), query).status_code == 400


def test_csv_export_has_one_row_per_team_and_period_then_totals(desk, admin_agent):
    response = logged_in(admin_agent).get(reverse("insights:export"), PERIOD_QUERY)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Équipe", "Période", "Reçues", "Répondues", "Sans réponse", "En attente maintenant",
        "Âge médian de l'attente (h)", "Attente la plus ancienne (h)", "Conseillers impliqués",
        "Transmises à un service", "Première réponse, médiane (h)",
        "Première réponse, 90e centile (h)", "Résolution, médiane (h)",
        "Résolution, 90e centile (h)", "Respect du SLA", "Satisfaction (CSAT)",
        "Avis de satisfaction", "Résolues", "Taux de réouverture",
    ]  # fmt: skip
    body = rows[1:]
    # 2 teams × 2 weeks, 2 team totals, 1 grand total.
    assert len(body) == 7
    assert body[0][:5] == ["Facturation", "2026-03-02", "2", "1", "1"]
    assert body[2][:5] == ["Niveau 1", "2026-03-02", "4", "3", "1"]
    assert body[2][10:12] == ["2.00", "2.80"]
    assert body[2][14] == "0.6667"
    assert body[-1][:6] == ["Toutes les équipes", "Total", "8", "5", "3", "5"]
    assert body[-1][18] == "0.2500"


def test_quality_sample_draws_answered_conversations_not_reviewed(desk, admin_agent, agent):
    client = logged_in(admin_agent)
    fresh = client.get(reverse("insights:quality"), PERIOD_QUERY)
    assert fresh.status_code == 302 and "seed=" in fresh["Location"]
    c = desk.conversations
    QualityReview.objects.create(
        conversation=c["c1"], agent=agent, reviewer=admin_agent, tone=4, spelling=4,
        accuracy=4, personalisation=4, reviewed_at=c["c1"].created_at,
    )  # fmt: skip
    response = client.get(reverse("insights:quality"), {**PERIOD_QUERY, "seed": 7, "size": 10})
    sample = {conversation.pk for conversation in response.context["sample"]}
    # Answered in the period: c1 (reviewed), c2, c4, c5 in Niveau 1 and c7 in Facturation.
    assert sample == {c["c2"].pk, c["c4"].pk, c["c5"].pk, c["c7"].pk}
    small = client.get(reverse("insights:quality"), {**PERIOD_QUERY, "seed": 7, "size": 2})
    again = client.get(reverse("insights:quality"), {**PERIOD_QUERY, "seed": 7, "size": 2})
    assert small.context["sample"] == again.context["sample"]
    assert len(small.context["sample"]) == 2


def test_lead_scores_a_conversation_and_the_dashboard_shows_the_agent_average(desk, lead, teammate):
    client = logged_in(lead)
    conversation = desk.conversations["c7"]
    page = client.get(reverse("insights:review", args=[conversation.pk]))
    assert page.status_code == 200
    assert "Demande c7" in page.content.decode()
    scores = {"tone": 4, "spelling": 3, "accuracy": 2, "personalisation": 3}
    response = client.post(
        reverse("insights:review", args=[conversation.pk]) + "?back=seed%3D3",
        {**scores, "comment": "Réponse rapide, formule d'appel à revoir."},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("insights:quality") + "?seed=3"
    review = QualityReview.objects.get(conversation=conversation)
    assert (review.tone, review.spelling, review.accuracy, review.personalisation) == (4, 3, 2, 3)
    assert review.agent == teammate and review.reviewer == lead
    # A second review of the same conversation is refused.
    again = client.post(reverse("insights:review", args=[conversation.pk]), scores)
    assert again.status_code == 400
    assert QualityReview.objects.count() == 1
    board = client.get(reverse("insights:dashboard"), PERIOD_QUERY).context["board"]
    [quality] = board.quality
    assert (quality.name, quality.reviews, quality.average) == ("Lou", 1, 3.0)


def test_a_score_out_of_the_grid_is_refused(desk, admin_agent):
    conversation = desk.conversations["c1"]
    response = logged_in(admin_agent).post(
        reverse("insights:review", args=[conversation.pk]),
        {"tone": 5, "spelling": 3, "accuracy": 3, "personalisation": 3},
    )
    assert response.status_code == 400
    assert not QualityReview.objects.exists()


def test_lead_cannot_review_another_teams_conversation(desk, lead):
    response = logged_in(lead).get(reverse("insights:review", args=[desk.conversations["c1"].pk]))
    assert response.status_code == 403


def test_shares_and_hours_are_rounded_in_french(desk, admin_agent):
    page = logged_in(admin_agent).get(reverse("insights:dashboard"), PERIOD_QUERY)
    html = page.content.decode()
    assert "66,7 %" in html  # CSAT 2/3
    assert "2,8 h" in html  # p90 of the first week's first responses


def test_chart_axis_ticks_are_whole_numbers():
    from comptoir.insights.charts import grouped_bars

    chart = grouped_bars(["a", "b"], {"received": [2, 1]})
    assert [value for _y, value in chart.ticks] == [0, 1, 2]
    chart = grouped_bars(["a"], {"received": [37]})
    assert [value for _y, value in chart.ticks] == [0, 10, 20, 30, 40, 50]
