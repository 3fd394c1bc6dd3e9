"""The inbox shows each conversation's due time, most urgent first (Debian's chromium)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.conversations import services
from comptoir.conversations.models import Conversation
from comptoir.customers.models import Customer, Identity
from tests.browser_support import SCREENSHOTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def conversation_due_in(subject: str, due_in: timedelta | None, **fields: object) -> Conversation:
    customer = Customer.objects.create(first_name=subject.split()[0])
    Identity.objects.create(
        customer=customer, kind=Identity.Kind.EMAIL, value=f"{customer.pk}@example.fr"
    )
    conversation = services.open_conversation(customer=customer, subject=subject)
    # Due times relative to the real clock the page renders with.
    due_at = timezone.now() + due_in if due_in is not None else None
    Conversation.objects.filter(pk=conversation.pk).update(
        sla_due_at=due_at, first_response_due_at=due_at, **fields
    )
    return conversation


def test_inbox_shows_due_times_most_urgent_first(
    transactional_db, live_server, agent, browser_page
):  # noqa: F811
    conversation_due_in("Lampe arrivée cassée", timedelta(hours=1, minutes=20, seconds=30))
    conversation_due_in("Facture introuvable", -timedelta(minutes=35, seconds=10))
    conversation_due_in("Question sur un abat-jour", timedelta(minutes=12, seconds=30))
    page = browser_page

    page.goto(live_server.url + "/?view=open")
    page.fill("#id_username", "camille")
    page.fill("#id_password", "motdepasse-agent-1")
    page.click("button[type=submit].primary")
    page.wait_for_selector("table.inbox")

    rows = page.locator("table.inbox tbody tr")
    assert rows.count() == 3
    subjects = [rows.nth(n).locator(".subject a").inner_text() for n in range(3)]
    assert subjects == ["Facture introuvable", "Question sur un abat-jour", "Lampe arrivée cassée"]
    assert page.locator("th", has_text="Échéance").count() == 1

    overdue = rows.nth(0).locator(".sla")
    assert overdue.inner_text() == "en retard de 35 min"
    assert "sla-breached" in overdue.get_attribute("class")
    soon = rows.nth(1).locator(".sla")
    assert soon.inner_text() == "dans 12 min" and "sla-warning" in soon.get_attribute("class")
    later = rows.nth(2).locator(".sla")
    assert later.inner_text() == "dans 1 h 20" and "sla-ok" in later.get_attribute("class")
    # Overdue reads red, in the interface's "bad" colour.
    assert overdue.evaluate("element => getComputedStyle(element).color") == "rgb(180, 35, 24)"
    assert "Première réponse attendue" in (overdue.get_attribute("title") or "")
    page.screenshot(path=str(SCREENSHOTS / "comptoir_inbox_due_times.png"), full_page=True)
