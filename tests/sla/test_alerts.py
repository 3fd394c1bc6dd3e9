"""Warnings before a breach and alerts on breach: recorded once, shown, emailed once."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from comptoir.conversations import services
from comptoir.conversations.models import Conversation
from comptoir.customers.models import Customer, Identity
from comptoir.sla import services as sla
from comptoir.sla.models import SlaAlert
from comptoir.teams.business_time import PARIS
from comptoir.teams.models import Membership
from comptoir.teams.services import ensure_default_team

pytestmark = pytest.mark.django_db
Kind = SlaAlert.Kind


def new_conversation(subject: str = "Colis abîmé") -> Conversation:
    customer = Customer.objects.create(first_name="Paul")
    email = f"paul{Customer.objects.count()}@example.fr"
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=email)
    return services.open_conversation(customer=customer, subject=subject)


@pytest.fixture
def team_with_lead(agent, admin_agent):
    team = ensure_default_team()
    agent.email, admin_agent.email = "camille@shop.example", "dominique@shop.example"
    agent.save()
    admin_agent.save()
    Membership.objects.create(team=team, agent=agent, is_lead=True)
    Membership.objects.create(team=team, agent=admin_agent)
    return team


def test_warning_then_breach_are_recorded_and_emailed_once_each(clock, team_with_lead):
    clock.set(2026, 11, 23, 9, 0)
    conversation = new_conversation()  # first response due at 11:00

    clock.set(2026, 11, 23, 10, 0)
    assert sla.check_deadlines() == 0
    assert mail.outbox == []

    clock.set(2026, 11, 23, 10, 40)  # 20 minutes left: a warning
    assert sla.check_deadlines() == 1
    assert sla.check_deadlines() == 0
    [warning] = mail.outbox
    assert warning.to == ["camille@shop.example"]
    assert "Première réponse bientôt due" in warning.subject
    assert conversation.reference in warning.subject
    assert f"/conversations/{conversation.pk}/" in warning.body

    clock.set(2026, 11, 23, 11, 5)  # overdue
    sla.check_deadlines()
    sla.check_deadlines()
    assert [alert.kind for alert in conversation.sla_alerts.all()] == [
        Kind.FIRST_RESPONSE_WARNING,
        Kind.FIRST_RESPONSE_BREACHED,
    ]
    assert len(mail.outbox) == 2
    assert "Première réponse en retard" in mail.outbox[1].subject


def test_answered_or_waiting_conversations_raise_no_first_response_alert(
    clock, team_with_lead, agent
):
    clock.set(2026, 11, 23, 9, 0)
    answered = new_conversation("Répondue")
    waiting = new_conversation("En attente")
    clock.set(2026, 11, 23, 9, 30)
    services.reply_to_conversation(conversation=answered, agent=agent, text="Bonjour")
    services.change_status(conversation=waiting, status=Conversation.Status.WAITING)
    clock.set(2026, 11, 23, 12, 0)
    sla.check_deadlines()
    assert not SlaAlert.objects.exists()


def test_resolution_breach_is_alerted(clock, team_with_lead, agent):
    clock.set(2026, 11, 23, 9, 0)
    conversation = new_conversation()
    services.reply_to_conversation(conversation=conversation, agent=agent, text="Bonjour")
    services.change_status(conversation=conversation, status=Conversation.Status.OPEN)
    clock.set(2026, 11, 26, 9, 0)  # past the 27 business hours
    sla.check_deadlines()
    assert list(conversation.sla_alerts.values_list("kind", flat=True)) == [
        Kind.RESOLUTION_BREACHED
    ]


def test_alert_email_is_retried_when_sending_fails(clock, team_with_lead, monkeypatch):
    clock.set(2026, 11, 23, 9, 0)
    new_conversation()
    clock.set(2026, 11, 23, 12, 0)

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(sla, "send_mail", broken)
    sla.check_deadlines()
    assert SlaAlert.objects.get().emailed_at is None
    monkeypatch.undo()
    monkeypatch.setattr("django.utils.timezone.now", clock)
    sla.check_deadlines()
    assert SlaAlert.objects.get().emailed_at is not None
    assert len(mail.outbox) == 1


def test_a_clock_left_paused_on_an_open_conversation_is_restarted_by_the_sweep(clock):
    clock.set(2026, 11, 23, 9, 0)
    conversation = new_conversation()
    services.change_status(conversation=conversation, status=Conversation.Status.WAITING)
    # A path that knows nothing of SLA (the admin) reopens it.
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.OPEN)
    clock.set(2026, 11, 23, 14, 0)
    sla.check_deadlines()
    conversation.refresh_from_db()
    assert conversation.sla_paused_at is None
    assert conversation.sla_due_at is not None


def test_breach_shows_in_the_inbox_and_on_the_conversation_page(clock, agent):
    clock.set(2026, 11, 23, 9, 0)
    conversation = new_conversation()
    clock.set(2026, 11, 23, 11, 35)
    sla.check_deadlines()
    client = Client()
    client.force_login(agent)
    inbox = client.get(reverse("conversations:inbox")).content.decode()
    assert "sla-breached" in inbox and "en retard de 35 min" in inbox
    page = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    assert "en retard de 35 min" in page
    assert "Première réponse en retard" in page
    assert "Service client" in page


def test_due_soon_is_a_warning_and_later_is_calm(clock, agent):
    clock.set(2026, 11, 23, 9, 0)
    new_conversation("Bientôt")
    clock.set(2026, 11, 23, 10, 40)
    new_conversation("Plus tard")
    client = Client()
    client.force_login(agent)
    html = client.get(reverse("conversations:inbox")).content.decode()
    assert '<span class="sla sla-warning"' in html and "dans 20 min" in html
    assert '<span class="sla sla-ok"' in html and "dans 2 h" in html
    assert datetime(2026, 11, 23, 11, 0, tzinfo=PARIS) - clock.now == timedelta(minutes=20)
