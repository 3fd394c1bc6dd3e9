"""Two agents answering the same customer: the second is asked before the customer gets two
answers. The check is on the server, from the newest message the reply form saw."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.conversations import services
from comptoir.conversations.models import Message
from tests.collaboration.conftest import make_conversation

pytestmark = pytest.mark.django_db

WARNING = "Une autre réponse a été envoyée pendant que vous écriviez."


def last_seen_on(page) -> str:
    match = re.search(r'name="last_seen_message" value="(\d+)"', page.content.decode())
    assert match, "the reply form carries the newest message it saw"
    return match.group(1)


def replies_by(agent) -> int:
    return Message.objects.filter(direction=Message.Direction.OUTBOUND, author=agent).count()


def test_a_reply_sent_by_a_teammate_meanwhile_asks_for_confirmation(
    client: Client, agent, teammate
):
    conversation = make_conversation()
    client.force_login(agent)
    url = reverse("conversations:detail", args=[conversation.pk])
    last_seen = last_seen_on(client.get(url))
    theirs = services.reply_to_conversation(
        conversation=conversation, agent=teammate, text="Bonjour, c'est réglé."
    )

    mine = "Bonjour Paul,\nnous renvoyons le colis."
    page = client.post(
        reverse("conversations:reply", args=[conversation.pk]),
        {"text": mine, "last_seen_message": last_seen},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert replies_by(agent) == 0
    assert WARNING in html
    assert f'href="#message-{theirs.pk}">Claire Martin' in html
    assert "Bonjour Paul,\nnous renvoyons le colis." in html  # the typed text is kept
    assert "Envoyer quand même" in html

    # The page now shows Claire's answer: sending again is a decision, and it goes.
    confirmed = client.post(
        reverse("conversations:reply", args=[conversation.pk]),
        {"text": mine, "last_seen_message": last_seen_on(page)},
    )
    assert confirmed.status_code == 302
    assert replies_by(agent) == 1


def test_no_confirmation_when_nobody_else_answered(client: Client, agent, teammate):
    conversation = make_conversation()
    services.reply_to_conversation(conversation=conversation, agent=teammate, text="Avant")
    client.force_login(agent)
    last_seen = last_seen_on(client.get(reverse("conversations:detail", args=[conversation.pk])))
    # A customer's message or a colleague's note is not a competing answer.
    services.add_inbound_message(conversation=conversation, text="Merci", from_address="p@x.fr")
    services.add_note(conversation=conversation, agent=teammate, text="Je regarde aussi")
    response = client.post(
        reverse("conversations:reply", args=[conversation.pk]),
        {"text": "Réponse", "last_seen_message": last_seen},
    )
    assert response.status_code == 302
    assert replies_by(agent) == 1


def test_my_own_earlier_reply_in_another_tab_needs_no_confirmation(client: Client, agent):
    conversation = make_conversation()
    client.force_login(agent)
    last_seen = last_seen_on(client.get(reverse("conversations:detail", args=[conversation.pk])))
    services.reply_to_conversation(conversation=conversation, agent=agent, text="Premier onglet")
    response = client.post(
        reverse("conversations:reply", args=[conversation.pk]),
        {"text": "Second onglet", "last_seen_message": last_seen},
    )
    assert response.status_code == 302
    assert replies_by(agent) == 2


def test_a_logged_call_by_a_teammate_also_asks_for_confirmation(client: Client, agent, teammate):
    conversation = make_conversation()
    client.force_login(agent)
    last_seen = last_seen_on(client.get(reverse("conversations:detail", args=[conversation.pk])))
    services.log_contact(
        conversation=conversation,
        agent=teammate,
        channel="phone",
        direction=Message.Direction.OUTBOUND,
        summary="Appelé le client : colis renvoyé",
    )
    response = client.post(
        reverse("conversations:reply", args=[conversation.pk]),
        {"text": "Bonjour", "last_seen_message": last_seen},
    )
    assert WARNING in response.content.decode()
    assert replies_by(agent) == 0
