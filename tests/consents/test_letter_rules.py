"""may_send() for postal letters: no suppression list, service needs an address, marketing
by post is opt-out (allowed unless the customer refused or withdrew it)."""

import pytest

from comptoir.consents import services
from comptoir.consents.models import Channel, ConsentStatus, Preference, Purpose, Source
from comptoir.consents.rules import NO_OBJECTION, Reason, may_send
from comptoir.customers.models import Customer

pytestmark = pytest.mark.django_db
LETTER = Channel.LETTER
ADDRESS = "Jeanne Martin\n12 rue de la République\n69002 Lyon"


@pytest.fixture
def jeanne() -> Customer:
    return Customer.objects.create(first_name="Jeanne", postal_address=ADDRESS)


def state(customer: Customer, status: str, channel: str = LETTER, purpose: str = Purpose.MARKETING):
    services.record_consent(
        customer=customer,
        purpose=purpose,
        channel=channel,
        status=status,
        proof=services.Proof(source=Source.AGENT),
    )


def decide(customer: Customer, purpose: str, **kwargs: object) -> tuple[bool, str]:
    decision = may_send(customer, purpose, LETTER, **kwargs)
    return decision.allowed, decision.reason


def test_service_letter_needs_only_an_address(jeanne):
    assert decide(jeanne, Purpose.SERVICE) == (True, Reason.SERVICE)
    assert decide(Customer.objects.create(), Purpose.SERVICE) == (False, Reason.NO_ADDRESS)
    assert decide(jeanne, Purpose.SERVICE, recipient="  ") == (False, Reason.NO_ADDRESS)


def test_marketing_letter_is_allowed_without_any_statement(jeanne):
    assert decide(jeanne, Purpose.MARKETING) == (True, NO_OBJECTION)


@pytest.mark.parametrize("status", [ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN])
def test_marketing_letter_stops_once_the_customer_objects(jeanne, status):
    state(jeanne, status)

    assert decide(jeanne, Purpose.MARKETING) == (False, status)
    # The contract's letters still go.
    assert decide(jeanne, Purpose.SERVICE) == (True, Reason.SERVICE)


def test_an_objection_on_every_channel_stops_letters_too(jeanne):
    state(jeanne, ConsentStatus.WITHDRAWN, channel=Channel.ANY)

    assert decide(jeanne, Purpose.MARKETING) == (False, Reason.WITHDRAWN)


def test_leaving_email_marketing_leaves_letters_alone(jeanne):
    state(jeanne, ConsentStatus.WITHDRAWN, channel=Channel.EMAIL)

    assert decide(jeanne, Purpose.MARKETING) == (True, NO_OBJECTION)


def test_marketing_letter_respects_the_topics_chosen(jeanne):
    Preference.objects.create(customer=jeanne, topics=["news"])

    assert decide(jeanne, Purpose.MARKETING, topic="offers") == (False, Reason.TOPIC_NOT_CHOSEN)
    assert decide(jeanne, Purpose.MARKETING, topic="news") == (True, NO_OBJECTION)


def test_profiling_by_letter_still_needs_an_opt_in(jeanne):
    assert decide(jeanne, Purpose.PROFILING) == (False, Reason.NO_OPT_IN)
