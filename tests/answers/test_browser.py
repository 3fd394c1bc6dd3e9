"""An agent inserts a suggested canned response and applies a macro in a real browser."""

import pytest

from comptoir.answers.models import CannedResponse, Macro
from comptoir.answers.starter import load_starter_set
from comptoir.conversations.models import Conversation, ConversationEvent, Message
from tests.answers.conftest import make_conversation
from tests.browser_support import SCREENSHOTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_agent_inserts_a_suggestion_edits_it_and_sends_it(
    transactional_db, live_server, agent, browser_page
):
    load_starter_set(CannedResponse)
    conversation = make_conversation(
        subject="Connexion", text="J'ai oublié mon mot de passe, je ne peux plus me connecter."
    )
    Macro.objects.create(name="Clore la demande", set_status=Conversation.Status.CLOSED)
    page = browser_page
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "camille")
    page.fill("#id_password", "motdepasse-agent-1")
    page.click("button[type=submit].primary")
    page.wait_for_selector("table.inbox")

    page.goto(f"{live_server.url}/conversations/{conversation.pk}/")
    suggestion = page.locator(".suggestion-list button").first
    suggestion.wait_for()
    assert suggestion.inner_text() == "Réinitialisation du mot de passe"
    page.screenshot(path=str(SCREENSHOTS / "comptoir_ready_answers.png"), full_page=True)
    suggestion.click()
    page.wait_for_function("document.getElementById('reply-text').value.length > 0")
    text = page.locator("#reply-text").input_value()
    assert text.startswith("Bonjour Jeanne,\n\nPour réinitialiser votre mot de passe")
    assert text.endswith("Camille\nService client")

    page.locator("#reply-text").press("End")
    page.locator("#reply-text").type("\nPS : pensez aux courriers indésirables.")
    page.click("form.reply button[type=submit]")
    page.wait_for_selector(".message.success")
    # The page came back with panels loading after it (suggestions, reply checker) that move
    # the macro menu: wait for them, or the click may hit what moved under it.
    page.wait_for_load_state("networkidle")
    sent = Message.objects.get(conversation=conversation, direction=Message.Direction.OUTBOUND)
    assert sent.text.startswith("Bonjour Jeanne,")
    assert sent.text.endswith("PS : pensez aux courriers indésirables.")

    page.click(".macro-menu button:has-text('Clore la demande')")
    page.wait_for_selector(".message.success:has-text('Macro « Clore la demande » appliquée')")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED

    page.click("header a:has-text('Réponses types')")
    page.wait_for_selector("article.canned-response")
    assert page.locator("article.canned-response").count() == 8
    page.screenshot(path=str(SCREENSHOTS / "comptoir_canned_responses.png"), full_page=False)
    assert conversation.events.filter(kind=ConversationEvent.Kind.MACRO_APPLIED).exists()
