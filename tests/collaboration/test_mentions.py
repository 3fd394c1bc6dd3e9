"""Mentions in internal notes notify the agents they name, and only them."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from comptoir.agents.models import Agent
from comptoir.collaboration import mentions
from comptoir.collaboration.models import Notification
from comptoir.conversations import services
from tests.collaboration.conftest import make_conversation

pytestmark = pytest.mark.django_db


def test_a_username_mention_notifies_that_agent(agent, teammate):
    conversation = make_conversation()
    note = services.add_note(
        conversation=conversation, agent=agent, text="@claire peux-tu regarder la facture ?"
    )
    notification = Notification.objects.get()
    assert notification.recipient == teammate
    assert notification.message == note
    assert notification.conversation == conversation
    assert notification.actor == agent
    assert notification.read_at is None


def test_a_unique_first_name_with_any_case_and_accents_notifies_its_agent(agent):
    elodie = Agent.objects.create_user(username="e.durand", first_name="Élodie", role="agent")
    conversation = make_conversation()
    services.add_note(conversation=conversation, agent=agent, text="Merci @élodie.")
    assert list(Notification.objects.values_list("recipient", flat=True)) == [elodie.pk]


def test_a_first_name_two_agents_share_notifies_nobody_but_usernames_still_do(agent, teammate):
    Agent.objects.create_user(username="claire.b", first_name="Claire", role="agent")
    conversation = make_conversation()
    services.add_note(conversation=conversation, agent=agent, text="@Claire, ou plutôt @claire")
    assert list(Notification.objects.values_list("recipient", flat=True)) == [teammate.pk]


def test_unknown_names_addresses_and_inactive_agents_notify_nobody(agent, teammate):
    Agent.objects.create_user(username="parti", first_name="Paul", is_active=False)
    conversation = make_conversation()
    services.add_note(
        conversation=conversation,
        agent=agent,
        text="@inconnu, @parti et le client claire@example.fr ont écrit",
    )
    assert not Notification.objects.exists()


def test_the_author_is_not_notified_of_their_own_mention(agent, teammate):
    conversation = make_conversation()
    services.add_note(conversation=conversation, agent=agent, text="@camille et @Camille : moi")
    assert not Notification.objects.exists()


def test_an_agent_mentioned_twice_gets_one_notification(agent, teammate):
    conversation = make_conversation()
    services.add_note(conversation=conversation, agent=agent, text="@claire ... @Claire !")
    assert Notification.objects.count() == 1


def test_an_outsider_who_may_not_open_the_conversation_is_not_notified(
    agent, outsider, hidden_from_outsider
):
    conversation = make_conversation()
    hidden_from_outsider.add(conversation.pk)
    services.add_note(conversation=conversation, agent=agent, text="@olivier regarde ça")
    assert not Notification.objects.exists()


def test_the_mentioned_agent_gets_one_email_after_the_note_is_saved(
    agent, teammate, django_capture_on_commit_callbacks
):
    conversation = make_conversation(subject="Colis abîmé")
    with django_capture_on_commit_callbacks(execute=True):
        services.add_note(conversation=conversation, agent=agent, text="@claire urgent")
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["claire@shop.example"]
    assert email.subject == f"Camille vous mentionne : [#{conversation.pk}] Colis abîmé"
    assert "@claire urgent" in email.body
    notification = Notification.objects.get()
    assert f"{settings.PUBLIC_URL}/notifications/{notification.pk}/" in email.body
    assert notification.emailed_at is not None
    # A repeated task (a retry, a second worker) sends nothing more.
    from comptoir.collaboration.services import email_notification

    assert email_notification(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_an_agent_without_an_email_address_is_notified_in_the_interface_only(
    agent, django_capture_on_commit_callbacks
):
    Agent.objects.create_user(username="sans.mail", first_name="Sacha", role="agent")
    conversation = make_conversation()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_note(conversation=conversation, agent=agent, text="@sacha tu vois ?")
    assert Notification.objects.count() == 1
    assert mail.outbox == []


def test_mentions_are_highlighted_in_the_note_and_its_text_stays_escaped(client, agent, teammate):
    conversation = make_conversation()
    services.add_note(
        conversation=conversation,
        agent=agent,
        text="<b>gras</b> @claire et @inconnu, écrire à jeanne@example.fr",
    )
    client.force_login(agent)
    html = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    assert '<mark class="mention">@claire</mark> et @inconnu' in html
    assert "&lt;b&gt;gras&lt;/b&gt;" in html
    assert "jeanne@example.fr" in html
    assert '<mark class="mention">@example' not in html


def test_find_handles_reads_mentions_the_way_agents_write_them():
    text = "Merci @Claire. Voir avec @jean-paul, @e.durand! Pas jeanne@example.fr ni @"
    assert mentions.find_handles(text) == ["claire", "jean-paul", "e.durand"]
