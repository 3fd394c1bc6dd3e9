"""Due times are set when a conversation opens and move with its status, in business hours."""

from datetime import datetime, timedelta

import pytest

from comptoir.conversations import services
from comptoir.conversations.models import Conversation
from comptoir.customers.models import Customer, Identity
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.sla.models import SlaPolicy
from comptoir.sla.policies import choose_policy
from comptoir.teams.business_time import PARIS
from comptoir.teams.models import Team
from comptoir.teams.services import ensure_default_team
from tests.conftest import make_email

pytestmark = pytest.mark.django_db
HOURS = timedelta(hours=1)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def new_conversation(subject: str = "Colis abîmé", email: str = "paul@example.fr") -> Conversation:
    customer = Customer.objects.create(first_name="Paul")
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=email)
    conversation = services.open_conversation(customer=customer, subject=subject)
    services.add_inbound_message(conversation=conversation, text="Bonjour", from_address=email)
    return conversation


def test_friday_evening_email_is_due_monday_morning_in_the_default_team(clock):
    clock.set(2026, 11, 20, 17, 30)
    conversation = new_conversation()
    conversation.refresh_from_db()
    assert conversation.team == ensure_default_team()
    assert conversation.first_response_due_at == paris(2026, 11, 23, 10, 30)
    assert conversation.sla_due_at == conversation.first_response_due_at
    # Default resolution target: 27 business hours, three working days.
    assert conversation.resolution_due_at == paris(2026, 11, 25, 17, 30)


def test_email_before_a_public_holiday_is_due_after_it(clock):
    clock.set(2026, 7, 13, 17, 0)  # the eve of 14 July
    conversation = new_conversation()
    assert conversation.first_response_due_at == paris(2026, 7, 15, 10, 0)


def test_inbound_email_gets_due_times_through_the_real_path(clock):
    clock.set(2026, 4, 30, 17, 0)  # Thursday before 1 May
    message = process_inbound_email(receive_raw_email(make_email(), source="test").inbound.pk)
    conversation = Conversation.objects.get(pk=message.conversation.pk)
    assert conversation.team is not None
    assert conversation.first_response_due_at == paris(2026, 5, 4, 10, 0)


def test_team_policy_sets_the_targets(clock):
    team = ensure_default_team()
    SlaPolicy.objects.create(
        name="Express", team=team, first_response_target=HOURS / 2, resolution_target=4 * HOURS
    )
    clock.set(2026, 11, 24, 17, 45)
    conversation = new_conversation()
    assert conversation.first_response_due_at == paris(2026, 11, 25, 9, 15)
    assert conversation.resolution_due_at == paris(2026, 11, 25, 12, 45)


def test_the_most_specific_policy_wins():
    team, other = Team.objects.create(name="Facturation"), Team.objects.create(name="Experts")
    anyone = SlaPolicy.objects.create(name="Tous")
    for_team = SlaPolicy.objects.create(name="Facturation", team=team)
    for_tier = SlaPolicy.objects.create(name="Premium", customer_tier="premium")
    policies = list(SlaPolicy.objects.all())
    assert choose_policy(policies, team_id=team.pk) == for_team
    assert choose_policy(policies, team_id=other.pk) == anyone
    assert choose_policy(policies, team_id=team.pk, customer_tier="premium") == for_tier
    assert choose_policy([for_team], team_id=other.pk) is None


def test_waiting_on_the_customer_pauses_and_moves_the_resolution_due(clock):
    clock.set(2026, 11, 23, 9, 0)  # Monday
    conversation = new_conversation()
    resolution_due = conversation.resolution_due_at
    assert resolution_due == paris(2026, 11, 25, 18, 0)

    clock.set(2026, 11, 23, 10, 0)
    services.reply_to_conversation(
        conversation=conversation, agent=agent_named("camille"), text="Bonjour"
    )
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.sla_paused_at == clock.now and conversation.sla_due_at is None

    # The customer answers the next morning: a full business day (9 h) went by paused.
    clock.set(2026, 11, 24, 10, 0)
    services.add_inbound_message(conversation=conversation, text="Merci, mais…")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.sla_paused_at is None
    assert conversation.sla_paused_for == 9 * HOURS
    assert conversation.resolution_due_at == paris(2026, 11, 26, 18, 0)
    # First response is met: the resolution is what the team works against now.
    assert conversation.sla_due_at == conversation.resolution_due_at


def test_resolved_then_reopened_by_an_agent_keeps_the_time_left(clock):
    clock.set(2026, 11, 23, 9, 0)
    conversation = new_conversation()
    clock.set(2026, 11, 23, 10, 0)  # one hour left of the first response
    services.change_status(conversation=conversation, status=Conversation.Status.RESOLVED)
    assert conversation.sla_due_at is None
    clock.set(2026, 11, 27, 17, 30)  # Friday evening
    services.change_status(conversation=conversation, status=Conversation.Status.OPEN)
    conversation.refresh_from_db()
    # Half an hour on Friday evening, the other half on Monday morning.
    assert conversation.first_response_due_at == paris(2026, 11, 30, 9, 30)
    assert conversation.sla_due_at == conversation.first_response_due_at


def test_a_due_time_missed_before_the_pause_stays_missed(clock):
    clock.set(2026, 11, 23, 9, 0)
    conversation = new_conversation()
    clock.set(2026, 11, 23, 15, 0)  # four hours late
    services.change_status(conversation=conversation, status=Conversation.Status.WAITING)
    clock.set(2026, 11, 24, 15, 0)
    services.change_status(conversation=conversation, status=Conversation.Status.OPEN)
    assert conversation.first_response_due_at == paris(2026, 11, 23, 11, 0)


def test_customer_reply_by_email_restarts_the_clock(clock):
    clock.set(2026, 11, 23, 9, 0)
    first = process_inbound_email(receive_raw_email(make_email(), source="test").inbound.pk)
    conversation = first.conversation
    clock.set(2026, 11, 23, 10, 0)
    services.reply_to_conversation(
        conversation=conversation, agent=agent_named("camille"), text="Bonjour"
    )
    clock.set(2026, 11, 24, 10, 0)
    process_inbound_email(
        receive_raw_email(
            make_email(
                message_id="<again@example.fr>", headers={"In-Reply-To": f"<{first.message_id}>"}
            ),
            source="test",
        ).inbound.pk
    )
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.sla_paused_at is None
    assert conversation.resolution_due_at == paris(2026, 11, 26, 18, 0)


def agent_named(username: str):  # noqa: ANN201
    from comptoir.agents.models import Agent

    return Agent.objects.get_or_create(username=username, defaults={"first_name": "Camille"})[0]
