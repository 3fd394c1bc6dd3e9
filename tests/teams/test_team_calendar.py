"""A team's calendar comes from its hours, its holidays and the company's."""

from datetime import date, datetime, time, timedelta

import pytest

from comptoir.teams import queries
from comptoir.teams.business_time import PARIS, add_business_time
from comptoir.teams.models import BusinessHours, Holiday, Membership, Team
from comptoir.teams.services import ensure_default_team

pytestmark = pytest.mark.django_db


def test_default_team_is_service_client_open_monday_to_friday_nine_to_six():
    team = ensure_default_team()
    assert team.name == "Service client" and team.is_default
    hours = sorted(team.business_hours.values_list("weekday", "opens_at", "closes_at"))
    assert hours == [(day, time(9), time(18)) for day in range(5)]
    assert ensure_default_team() == team
    assert Team.objects.filter(is_default=True).count() == 1


def test_calendar_has_the_team_hours_and_its_and_the_company_holidays():
    team = Team.objects.create(name="Facturation")
    other = Team.objects.create(name="Experts")
    for weekday in range(5):
        BusinessHours.objects.create(
            team=team, weekday=weekday, opens_at=time(9), closes_at=time(12, 30)
        )
        BusinessHours.objects.create(
            team=team, weekday=weekday, opens_at=time(14), closes_at=time(17)
        )
    Holiday.objects.create(team=team, date=date(2026, 11, 25), name="Séminaire")
    Holiday.objects.create(team=None, date=date(2026, 11, 26), name="Inventaire")
    Holiday.objects.create(team=other, date=date(2026, 11, 27), name="Pas pour nous")

    calendar = queries.get_business_calendar(team)

    assert calendar.closed_dates == {date(2026, 11, 25), date(2026, 11, 26)}
    tuesday_evening = datetime(2026, 11, 24, 16, 30, tzinfo=PARIS)
    # 30 min on Tuesday, then Wednesday and Thursday are closed, then Friday 9:00 + 1h30.
    assert add_business_time(tuesday_evening, timedelta(hours=2), calendar) == datetime(
        2026, 11, 27, 10, 30, tzinfo=PARIS
    )


def test_a_team_without_hours_gets_the_default_hours():
    team = Team.objects.create(name="Nouvelle équipe")
    assert queries.get_business_calendar(team).weekly_hours == queries.DEFAULT_WEEKLY_HOURS


def test_alert_recipients_are_the_leads_else_the_members(agent, admin_agent):
    team = Team.objects.create(name="Niveau 1", alert_email="chefs@shop.example")
    agent.email, admin_agent.email = "camille@shop.example", "dominique@shop.example"
    agent.save()
    admin_agent.save()
    Membership.objects.create(team=team, agent=agent)
    Membership.objects.create(team=team, agent=admin_agent)
    recipients = queries.list_alert_recipients(team)
    assert recipients[0] == "chefs@shop.example"
    assert sorted(recipients[1:]) == ["camille@shop.example", "dominique@shop.example"]
    Membership.objects.filter(agent=admin_agent).update(is_lead=True)
    assert queries.list_alert_recipients(team) == ["chefs@shop.example", "dominique@shop.example"]
