"""A macro applies all its actions in one go, through the conversation services."""

import pytest

from comptoir.answers import services
from comptoir.answers.models import CannedResponse, Macro
from comptoir.conversations.models import Conversation, ConversationEvent, Message, Tag
from comptoir.messaging.models import Delivery
from comptoir.teams.models import Team
from tests.answers.conftest import make_conversation

pytestmark = pytest.mark.django_db
Kind = ConversationEvent.Kind


def test_a_macro_applies_every_action_and_records_each_in_the_audit_trail(agent):
    conversation = make_conversation()
    billing = Team.objects.create(name="Facturation")
    stale, refund = Tag.objects.create(name="à trier"), Tag.objects.create(name="remboursement")
    conversation.tags.add(stale)
    response = CannedResponse.objects.create(
        title="Remboursement", body="{{ salutation }}\nRemboursement effectué.\n{{ conseiller }}"
    )
    macro = Macro.objects.create(
        name="Remboursement fait",
        set_status=Conversation.Status.RESOLVED,
        move_to_team=billing,
        canned_response=response,
        response_action=Macro.ResponseAction.SEND,
        note="Remboursé par {{ conseiller }} pour {{ reference }}",
    )
    macro.tags_to_add.add(refund)
    macro.tags_to_remove.add(stale)

    result = services.apply_macro(macro=macro, conversation=conversation, agent=agent)

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED
    assert conversation.team == billing
    assert list(conversation.tags.all()) == [refund]
    assert result.note is not None and result.note.text == (
        f"Remboursé par Camille pour [#{conversation.pk}]"
    )
    assert result.sent is not None
    assert result.sent.text == "Bonjour Jeanne,\nRemboursement effectué.\nCamille"
    assert Delivery.objects.filter(message=result.sent).count() == 1
    kinds = list(conversation.events.values_list("kind", flat=True))
    assert kinds == [
        Kind.ROUTED,
        Kind.NOTE_ADDED,
        Kind.REPLIED,
        Kind.STATUS_CHANGED,
        Kind.MACRO_APPLIED,
    ]
    applied = conversation.events.get(kind=Kind.MACRO_APPLIED)
    assert applied.actor == agent
    assert applied.data == {
        "macro": macro.pk,
        "tags_added": [refund.pk],
        "tags_removed": [stale.pk],
        "canned_response": response.pk,
        "sent": result.sent.pk,
    }


def test_a_macro_that_inserts_a_response_sends_nothing(agent):
    conversation = make_conversation(first_name="")
    response = CannedResponse.objects.create(title="Merci", body="{{ salutation }}\nMerci.")
    macro = Macro.objects.create(name="Merci", canned_response=response)

    result = services.apply_macro(macro=macro, conversation=conversation, agent=agent)

    assert result.reply_text == "Bonjour,\nMerci."
    assert result.sent is None
    assert not conversation.messages.filter(direction=Message.Direction.OUTBOUND).exists()
    assert conversation.events.get().kind == Kind.MACRO_APPLIED


def test_a_macro_that_cannot_send_changes_nothing(agent):
    conversation = make_conversation()
    conversation.messages.update(from_address="")
    conversation.customer.identities.all().delete()
    tag = Tag.objects.create(name="vip")
    macro = Macro.objects.create(
        name="Réponse",
        set_status=Conversation.Status.RESOLVED,
        canned_response=CannedResponse.objects.create(title="R", body="Bonjour"),
        response_action=Macro.ResponseAction.SEND,
    )
    macro.tags_to_add.add(tag)

    with pytest.raises(services.AnswerError):
        services.apply_macro(macro=macro, conversation=conversation, agent=agent)

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW
    assert not conversation.tags.exists()
    assert not conversation.events.exists()
