"""A customer opens the survey link of the email in a real browser (chromium), picks a score
and leaves a comment."""

import pytest
from django.core import mail

from comptoir.conversations import services
from comptoir.conversations.models import ConversationEvent
from comptoir.surveys import services as surveys
from tests.browser_support import SCREENSHOTS
from tests.conversations.test_views import make_conversation
from tests.surveys.conftest import sent_survey_email, survey_links

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_customer_opens_the_link_picks_a_score_and_leaves_a_comment(
    transactional_db, live_server, settings, agent, browser_page
):
    settings.PUBLIC_URL = live_server.url
    settings.COMPTOIR_SURVEY_DELAY_MINUTES = 0
    conversation = make_conversation()
    # Outside a test transaction: the resolution's hook and the delivery run on commit.
    services.change_status(conversation=conversation, status="resolved", by=agent)
    surveys.send_due_surveys()
    url = survey_links(sent_survey_email().body)["Très satisfait"]
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: links are opened there

    page.goto(url)
    assert page.locator("h1").inner_text() == "Votre avis"
    assert page.locator("input[name=rating][value='5']").is_checked()
    page.check("input[name=rating][value='4']")
    page.fill("textarea[name=comment]", "Réponse claire, merci.")
    page.click("button[name=send]")
    page.wait_for_selector(".message.success")
    assert "Votre réponse : Satisfait." in page.locator(".answered").inner_text()
    page.screenshot(path=str(SCREENSHOTS / "comptoir_survey.png"), full_page=True)

    page.fill("textarea[name=comment]", "Réponse claire et rapide, merci.")
    page.click("button[name=comment_send]")
    page.wait_for_selector(".message.success:has-text('Merci pour votre commentaire')")

    survey = conversation.satisfaction_surveys.get()
    assert (survey.rating, survey.comment) == (4, "Réponse claire et rapide, merci.")
    rated = conversation.events.get(kind=ConversationEvent.Kind.SATISFACTION_RATED)
    assert rated.data == {"rating": 4, "satisfied": True}
    assert len(mail.outbox) == 1
