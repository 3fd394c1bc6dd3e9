"""An admin edits routing rules, a team's assignment mode and its outsourced flag."""

import pytest
from django.urls import reverse

from comptoir.routing.models import RoutingRule

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_routing_rule(client, admin_agent, experts):
    client.force_login(admin_agent)
    assert client.get(reverse("admin:routing_routingrule_add")).status_code == 200

    response = client.post(
        reverse("admin:routing_routingrule_add"),
        {
            "name": "Réclamations",
            "priority": "5",
            "is_active": "on",
            "category": "complaint",
            "level": "",
            "channel": "",
            "segment": "",
            "keywords": "avocat\nlitige",
            "team": str(experts.pk),
        },
    )

    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.category, rule.team, rule.vip_only) == ("complaint", experts, False)
    assert client.get(reverse("admin:routing_routingrule_changelist")).status_code == 200
    assert client.get(reverse("admin:routing_routingdecision_changelist")).status_code == 200


def test_the_team_admin_shows_the_assignment_mode_and_outsourced_flag(client, admin_agent, experts):
    client.force_login(admin_agent)
    page = client.get(reverse("admin:teams_team_change", args=[experts.pk])).content.decode()
    assert 'name="assignment_mode"' in page and 'name="is_outsourced"' in page
    assert client.get(reverse("admin:teams_team_changelist")).status_code == 200


def test_an_agent_cannot_open_the_routing_admin(client, agent):
    client.force_login(agent)
    response = client.get(reverse("admin:routing_routingrule_changelist"))
    assert response.status_code == 302
