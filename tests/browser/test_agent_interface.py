"""An agent answers a customer's email in a real browser (Debian's chromium via Playwright)."""

import pytest

from comptoir.conversations import services
from comptoir.conversations.models import Message
from comptoir.customers.models import Customer, Identity
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.messaging.models import Delivery
from tests.browser_support import SCREENSHOTS
from tests.conftest import make_email

pytestmark = [pytest.mark.slow, pytest.mark.browser]

def seed_other_conversations() -> None:
    customer = Customer.objects.create(first_name="Louis", last_name="Bernard")
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value="louis@example.fr")
    for subject in ["Facture en double", "Changement d'adresse de livraison"]:
        conversation = services.open_conversation(customer=customer, subject=subject)
        services.add_inbound_message(
            conversation=conversation, text="Bonjour", from_address="louis@example.fr"
        )
    services.flag_conversation(conversation=conversation, reason="Boucle suspectée")


def test_agent_logs_in_and_replies_to_an_email(transactional_db, live_server, agent, browser_page):
    received = receive_raw_email(make_email(), source="test")
    inbound = process_inbound_email(received.inbound.pk)
    assert inbound is not None
    conversation = inbound.conversation
    seed_other_conversations()
    page = browser_page

    page.goto(live_server.url + "/")
    assert "/login/" in page.url
    page.fill("#id_username", "camille")
    page.fill("#id_password", "motdepasse-agent-1")
    page.click("button[type=submit].primary")
    page.wait_for_selector("table.inbox")
    assert page.locator(".tab.active").inner_text().startswith("Non assignées")
    row = page.locator("table.inbox tbody tr", has_text="Ma commande n'est pas arrivée")
    assert row.count() == 1
    page.screenshot(path=str(SCREENSHOTS / "comptoir_inbox.png"), full_page=True)

    row.locator("a").first.click()
    page.wait_for_selector("#reply-text")
    assert "J'attends toujours ma commande 12345." in page.locator(".thread").inner_text()

    reply = "Bonjour Jeanne,\nvotre commande 12345 part aujourd'hui.\nBonne journée"
    page.fill("#reply-text", reply)
    page.click("form.reply button[type=submit]")
    page.wait_for_selector(".entry-outbound:has-text('part aujourd')")
    page.wait_for_selector(".message.success")
    assert page.locator("#reply-text").input_value() == ""

    sent = Message.objects.get(
        conversation=conversation, direction=Message.Direction.OUTBOUND, author=agent
    )
    assert sent.text == reply
    delivery = Delivery.objects.get(message=sent)
    assert delivery.recipient == "jeanne.martin@example.fr"
    assert "En attente du client" in page.locator(".meta").inner_text()

    # Keyboard: Ctrl+Enter in the note field adds the note without touching the mouse.
    page.fill("#note-text", "Vérifier le transporteur demain")
    page.press("#note-text", "Control+Enter")
    page.wait_for_selector(".entry-internal:has-text('Vérifier le transporteur')")
    assert not Delivery.objects.filter(message__direction=Message.Direction.INTERNAL).exists()
    page.screenshot(path=str(SCREENSHOTS / "comptoir_conversation.png"), full_page=True)


def test_refused_reply_shows_the_error_and_keeps_the_text(
    transactional_db, live_server, agent, browser_page
):
    # A customer known only by name: there is no address to answer to.
    customer = Customer.objects.create(first_name="Sans", last_name="Adresse")
    conversation = services.open_conversation(customer=customer, subject="Appel téléphonique")
    page = browser_page
    page.goto(f"{live_server.url}/conversations/{conversation.pk}/")
    page.fill("#id_username", "camille")
    page.fill("#id_password", "motdepasse-agent-1")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#reply-text")

    typed = "Une réponse longue et soignée qu'il ne faut pas perdre."
    page.fill("#reply-text", typed)
    page.click("form.reply button[type=submit]")
    page.wait_for_selector(".message.error")
    assert "La réponse n’a pas été envoyée" in page.locator(".messages").inner_text()
    assert page.locator("#reply-text").input_value() == typed
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
