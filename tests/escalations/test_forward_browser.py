"""An agent forwards a conversation to an internal service in a real browser."""

import pytest

from comptoir.escalations.models import ForwardRequest
from comptoir.messaging.models import Delivery
from tests.browser_support import SCREENSHOTS
from tests.conftest import make_email
from tests.escalations.conftest import ingest

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_agent_forwards_a_conversation_to_logistics(
    transactional_db, live_server, agent, logistics, settings, browser_page
):
    settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS = False
    conversation = ingest(make_email()).conversation
    page = browser_page
    page.goto(live_server.url + f"/conversations/{conversation.pk}/")
    page.fill("#id_username", "camille")
    page.fill("#id_password", "motdepasse-agent-1")
    page.click("button[type=submit].primary")
    page.wait_for_selector(".forwards-card")
    # The reply checker and the suggestions load after the page and push the cards down: a
    # click aimed before they land can hit whatever moved under it (seen under load).
    page.wait_for_load_state("networkidle")

    page.click(".forward-new summary")
    page.select_option("#id_target", label="Logistique")
    page.fill("#id_question", "Le colis 12345 est-il parti ?")
    page.click(".forward-new button[type=submit]")
    page.wait_for_selector(".message.success")

    assert "Logistique" in page.locator(".holder").inner_text()
    assert "En attente du service" in page.locator(".forward-list").inner_text()
    forward = ForwardRequest.objects.get()
    assert forward.question == "Le colis 12345 est-il parti ?"
    assert Delivery.objects.get(message=forward.sent_message).recipient == "logistique@shop.example"
    page.screenshot(path=str(SCREENSHOTS / "comptoir_forward.png"), full_page=True)
