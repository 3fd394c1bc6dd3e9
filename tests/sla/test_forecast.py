"""The acknowledgement states a real delay: the backlog over the team's recent answer rate."""

from datetime import datetime, timedelta

import pytest

from comptoir.conversations.models import Conversation, Message
from comptoir.customers.models import Customer
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.sla import forecast
from comptoir.teams.business_time import PARIS
from comptoir.teams.services import ensure_default_team
from tests.conftest import make_email

HOURS = timedelta(hours=1)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def fill_backlog(count: int) -> None:
    """`count` conversations of the default team still waiting for their first response."""
    customer = Customer.objects.create(first_name="File")
    Conversation.objects.bulk_create(
        Conversation(customer=customer, subject=f"Demande {n}", team=ensure_default_team())
        for n in range(count)
    )


def acknowledgement_of(message_id: str) -> str:
    raw = make_email(
        message_id=f"<{message_id}@example.fr>",
        subject=f"Question {message_id}",
        sender=f"{message_id}@example.fr",
    )
    message = process_inbound_email(receive_raw_email(raw, source="test").inbound.pk)
    return Message.objects.get(
        conversation=message.conversation, direction=Message.Direction.OUTBOUND
    ).text


@pytest.mark.django_db
def test_a_bigger_backlog_states_a_longer_delay(clock):
    clock.set(2026, 11, 24, 10, 0)  # Tuesday morning, no history: 4 answers an hour assumed
    short = acknowledgement_of("calme")
    assert "Au vu des demandes en cours, nous vous répondrons dans environ 15 minutes." in short

    fill_backlog(9)  # 11 waiting with the next one: about 3 hours
    medium = acknowledgement_of("charge")
    assert "nous vous répondrons dans environ 3 heures." in medium

    fill_backlog(40)  # 52 waiting: 13 business hours, past this evening
    long = acknowledgement_of("debordement")
    assert "nous vous répondrons d’ici demain 14 h." in long


@pytest.mark.django_db
def test_expected_delay_grows_with_the_backlog_and_shrinks_with_the_answer_rate(clock):
    clock.set(2026, 11, 24, 10, 0)
    team = ensure_default_team()
    fill_backlog(8)
    assert forecast.expected_first_response(team, clock.now) == 2 * HOURS
    fill_backlog(8)
    assert forecast.expected_first_response(team, clock.now) == 4 * HOURS

    # A week with 32 first responses over its 32 business hours: one an hour.
    customer = Customer.objects.create(first_name="Historique")
    Conversation.objects.bulk_create(
        Conversation(
            customer=customer,
            team=team,
            status=Conversation.Status.RESOLVED,
            first_response_at=clock.now - timedelta(days=1, minutes=n),
        )
        for n in range(32)
    )
    rate = forecast.recent_answer_rate(
        team, now=clock.now, calendar=forecast.teams.get_business_calendar(team)
    )
    # Tuesday 10:00 back to the previous Tuesday 10:00: five working days of 9 h, no holiday.
    assert rate == pytest.approx(32 / 45)
    assert forecast.expected_first_response(team, clock.now) == timedelta(hours=16 / rate)


def test_delay_has_a_floor():
    assert forecast.delay_for(0, 4) == timedelta(minutes=15)
    assert forecast.delay_for(10, 4) == timedelta(hours=2.5)


@pytest.mark.parametrize(
    ("expected_at", "french", "english"),
    [
        (paris(2026, 11, 24, 10, 20), "dans environ 30 minutes", "within about 30 minutes"),
        (paris(2026, 11, 24, 10, 50), "dans environ 1 heure", "within about 1 hour"),
        (paris(2026, 11, 24, 13, 10), "dans environ 3 heures", "within about 3 hours"),
        (paris(2026, 11, 25, 10, 40), "d’ici demain 11 h", "by tomorrow 11 am"),
        (paris(2026, 11, 25, 14, 10), "d’ici demain 14 h 30", "by tomorrow 2:30 pm"),
        (paris(2026, 11, 30, 9, 0), "d’ici lundi 9 h", "by Monday 9 am"),
        (paris(2026, 12, 14, 11, 0), "d’ici le 14 décembre à 11 h", "by 14 December at 11 am"),
    ],
)
def test_expected_response_is_said_the_way_people_do(expected_at, french, english):
    now = paris(2026, 11, 24, 10, 0)  # a Tuesday
    assert forecast.describe_expected_response(now, expected_at, "fr") == french
    assert forecast.describe_expected_response(now, expected_at, "en") == english
