"""The outsider at work in a real browser (Debian's chromium via Playwright)."""

import pytest

from comptoir.agents.models import Agent
from comptoir.conversations.models import Message
from comptoir.customers.models import Customer
from comptoir.routing.models import RoutingRule
from comptoir.routing.services import route_conversations
from tests.browser_support import SCREENSHOTS
from tests.routing.conftest import make_classified_conversation

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_outsider_sees_only_his_teams_conversations_and_goes_away(
    transactional_db, live_server, default_team, outsourced_team, outsider, browser_page
):
    RoutingRule.objects.create(name="Niveau 1", level="1", team=outsourced_team)
    own = make_classified_conversation(subject="Colis abîmé", level="1")
    vera = Customer.objects.create(first_name="Vera", last_name="Secret")
    other = make_classified_conversation(
        subject="Dossier confidentiel", customer=vera, level="expert", email="vera@example.fr"
    )
    route_conversations(conversation_ids=[own.pk, other.pk])
    page = browser_page

    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "olivier")
    page.fill("#id_password", "motdepasse-olivier-1")
    page.click("button[type=submit].primary")
    page.wait_for_selector("table.inbox")
    inbox = page.locator("main").inner_text()
    assert "Colis abîmé" in inbox and "Dossier confidentiel" not in inbox
    assert page.locator("nav.account a", has_text="Clients").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "comptoir_outsider_inbox.png"), full_page=True)

    assert page.goto(f"{live_server.url}/conversations/{other.pk}/").status == 404
    assert page.goto(f"{live_server.url}/customers/{vera.pk}/").status == 403

    page.goto(f"{live_server.url}/conversations/{own.pk}/")
    page.fill("#reply-text", "Bonjour Paul, un nouveau colis part aujourd'hui.")
    page.click("form.reply button[type=submit]")
    page.wait_for_selector(".message.success")
    assert Message.objects.filter(conversation=own, author=outsider).exists()

    page.click("form.availability button[value=away]")
    page.wait_for_selector("form.availability button[value=available]")
    assert Agent.objects.get(pk=outsider.pk).availability == Agent.Availability.AWAY
    page.screenshot(path=str(SCREENSHOTS / "comptoir_outsider_away.png"))
