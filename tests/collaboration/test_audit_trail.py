"""The conversation's audit trail ("Historique"): who did what, when, in French, folded under the thread."""

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.conversations import services
from comptoir.conversations.models import Conversation
from tests.collaboration.conftest import make_conversation

pytestmark = pytest.mark.django_db


def trail_of(client: Client, conversation: Conversation) -> str:
    html = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    start = html.index('<details class="card audit-trail"')
    return html[start : html.index("</details>", start)]


def test_the_audit_trail_tells_who_did_what_in_order(client: Client, agent, teammate):
    conversation = make_conversation()
    services.assign_conversation(conversation=conversation, assignee=teammate, by=agent)
    services.add_note(conversation=conversation, agent=teammate, text="Je m'en occupe")
    services.reply_to_conversation(conversation=conversation, agent=teammate, text="Bonjour")
    services.change_status(
        conversation=conversation, status=Conversation.Status.RESOLVED, by=teammate
    )
    services.add_inbound_message(conversation=conversation, text="Toujours rien")
    client.force_login(agent)
    trail = trail_of(client, conversation)

    assert "<h2>Historique</h2>" in trail
    lines = [
        'Camille</strong> <span class="what">a attribué la conversation à Claire Martin',
        'Claire Martin</strong> <span class="what">a ajouté une note interne',
        'Claire Martin</strong> <span class="what">a répondu au client',
        'Claire Martin</strong> <span class="what">a changé le statut : En attente du client → Résolue',
        'Le client</strong> <span class="what">a rouvert la conversation',
        'Camille</strong> <span class="what">a consulté la conversation',
    ]
    positions = [trail.index(line) for line in lines]
    assert positions == sorted(positions)


def test_the_audit_trail_escapes_names(client: Client, agent, teammate):
    teammate.first_name, teammate.last_name = "<script>", "x"
    teammate.save()
    conversation = make_conversation()
    services.assign_conversation(conversation=conversation, assignee=teammate, by=teammate)
    client.force_login(agent)
    trail = trail_of(client, conversation)
    assert "<script>" not in trail
    assert "&lt;script&gt; x" in trail
