"""The audit trail of a conversation: who did what, and the facts the KPIs count."""

from django.urls import reverse

from comptoir.conversations import services
from comptoir.conversations.models import Conversation, ConversationEvent
from tests.conftest import make_email
from tests.conversations.test_views import ingest, make_conversation

Kind = ConversationEvent.Kind


def kinds(conversation: Conversation) -> list[str]:
    return list(conversation.events.values_list("kind", flat=True))


def test_reply_status_and_assignment_are_recorded_with_their_author(agent):
    conversation = make_conversation()
    services.assign_conversation(conversation=conversation, assignee=agent, by=agent)
    services.reply_to_conversation(conversation=conversation, agent=agent, text="Bonjour Paul")
    services.change_status(conversation=conversation, status="resolved", by=agent)
    assert kinds(conversation) == [Kind.ASSIGNED, Kind.REPLIED, Kind.STATUS_CHANGED]
    assert set(conversation.events.values_list("actor", flat=True)) == {agent.pk}
    resolved = conversation.events.get(kind=Kind.STATUS_CHANGED)
    assert resolved.data == {"from": "waiting", "to": "resolved"}
    conversation.refresh_from_db()
    assert conversation.resolved_at is not None


def test_customer_writing_after_resolution_records_a_reopening(db):
    conversation = ingest(make_email(message_id="<first@example.fr>")).conversation
    services.change_status(conversation=conversation, status="resolved")
    again = make_email(
        message_id="<second@example.fr>", headers={"In-Reply-To": "<first@example.fr>"}
    )
    assert ingest(again).conversation == conversation
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.resolved_at is None
    assert kinds(conversation) == [Kind.STATUS_CHANGED, Kind.REOPENED]


def test_agent_reopening_a_resolved_conversation_counts_as_reopened(agent):
    conversation = make_conversation()
    services.change_status(conversation=conversation, status="resolved", by=agent)
    services.change_status(conversation=conversation, status="open", by=agent)
    assert kinds(conversation) == [Kind.STATUS_CHANGED, Kind.REOPENED]


def test_a_view_is_recorded_once_per_agent_in_a_quarter_of_an_hour(client, agent):
    conversation = make_conversation()
    client.force_login(agent)
    for _ in range(3):
        client.get(reverse("conversations:detail", args=[conversation.pk]))
    assert kinds(conversation) == [Kind.VIEWED]
