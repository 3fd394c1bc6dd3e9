"""may_send(), the one answer to "may we send purpose P on channel C to this customer now?"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.consents.models import (
    Channel,
    ConsentStatus,
    Preference,
    Purpose,
    Source,
    Suppression,
)
from comptoir.consents.rules import Reason, may_send
from comptoir.customers.models import Customer, Identity
from comptoir.customers.services import record_purchase
from tests.consents.conftest import EMAIL, PHONE, record

SERVICE, MARKETING, PROFILING = Purpose.SERVICE, Purpose.MARKETING, Purpose.PROFILING
EMAIL_CHANNEL, SMS, ANY = Channel.EMAIL, Channel.SMS, Channel.ANY
GRANTED, REFUSED, WITHDRAWN = ConsentStatus.GRANTED, ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN
RECENT, LONG_AGO = timedelta(days=30), timedelta(days=4 * 365)
SAME_INSTANT = "same instant"


# One row per case: purpose, channel, history (oldest first; a status alone is a web-form
# statement on the row's own purpose and channel, (status, source) another source,
# (purpose, channel, status) another purpose or channel), bought how long ago (None: never),
# suppression of the customer's address on the channel (or (channel, reason) for another
# channel), then the expected decision.
G, R, W = GRANTED, REFUSED, WITHDRAWN
M_EMAIL, M_SMS = (MARKETING, EMAIL_CHANNEL), (MARKETING, SMS)
# fmt: off
CASES = [
    # id                                    purpose    channel        history                               bought    suppressed      allowed  reason
    # Service and transactional: no opt-in; only a dead or blocked address stops them.
    ("service-none",                         SERVICE,   EMAIL_CHANNEL, [],                                    None,     None,           True,  Reason.SERVICE),
    ("service-marketing-withdrawn",          SERVICE,   EMAIL_CHANNEL, [(*M_EMAIL, G), (*M_EMAIL, W)],        None,     None,           True,  Reason.SERVICE),
    ("service-unsubscribed",                 SERVICE,   EMAIL_CHANNEL, [],                                    None,     "unsubscribed", True,  Reason.SERVICE),
    ("service-complaint",                    SERVICE,   EMAIL_CHANNEL, [],                                    None,     "complaint",    True,  Reason.SERVICE),
    ("service-hard-bounce",                  SERVICE,   EMAIL_CHANNEL, [],                                    None,     "hard_bounce",  False, Reason.SUPPRESSED_HARD_BOUNCE),
    ("service-manual-block",                 SERVICE,   EMAIL_CHANNEL, [],                                    None,     "manual",       False, Reason.SUPPRESSED_MANUAL),
    ("service-sms",                          SERVICE,   SMS,           [],                                    None,     None,           True,  Reason.SERVICE),
    ("service-sms-hard-bounce",              SERVICE,   SMS,           [],                                    None,     "hard_bounce",  False, Reason.SUPPRESSED_HARD_BOUNCE),
    # Marketing email: an opt-in, or the soft opt-in of an existing customer.
    ("email-none-prospect",                  MARKETING, EMAIL_CHANNEL, [],                                    None,     None,           False, Reason.NO_OPT_IN),
    ("email-none-customer",                  MARKETING, EMAIL_CHANNEL, [],                                    RECENT,   None,           True,  Reason.SOFT_OPT_IN),
    ("email-none-customer-long-ago",         MARKETING, EMAIL_CHANNEL, [],                                    LONG_AGO, None,           False, Reason.NO_OPT_IN),
    ("email-granted",                        MARKETING, EMAIL_CHANNEL, [G],                                   None,     None,           True,  Reason.GRANTED),
    ("email-refused",                        MARKETING, EMAIL_CHANNEL, [R],                                   None,     None,           False, Reason.REFUSED),
    ("email-refused-customer",               MARKETING, EMAIL_CHANNEL, [R],                                   RECENT,   None,           False, Reason.REFUSED),
    ("email-withdrawn-after-granted",        MARKETING, EMAIL_CHANNEL, [G, W],                                None,     None,           False, Reason.WITHDRAWN),
    ("email-withdrawn-customer",             MARKETING, EMAIL_CHANNEL, [G, W],                                RECENT,   None,           False, Reason.WITHDRAWN),
    ("email-granted-after-withdrawn",        MARKETING, EMAIL_CHANNEL, [W, G],                                None,     None,           True,  Reason.GRANTED),
    ("email-import-does-not-undo-withdrawal", MARKETING, EMAIL_CHANNEL, [G, W, (G, Source.IMPORT)],           None,     None,           False, Reason.WITHDRAWN),
    ("email-api-grant-after-withdrawal",     MARKETING, EMAIL_CHANNEL, [W, (G, Source.API)],                  None,     None,           True,  Reason.GRANTED),
    ("email-withdrawal-wins-same-instant",   MARKETING, EMAIL_CHANNEL, [SAME_INSTANT],                        None,     None,           False, Reason.WITHDRAWN),
    ("email-granted-on-sms-only",            MARKETING, EMAIL_CHANNEL, [(*M_SMS, G)],                         None,     None,           False, Reason.NO_OPT_IN),
    ("email-granted-unsubscribed-address",   MARKETING, EMAIL_CHANNEL, [G],                                   None,     "unsubscribed", False, Reason.SUPPRESSED_UNSUBSCRIBED),
    ("email-customer-complaint",             MARKETING, EMAIL_CHANNEL, [],                                    RECENT,   "complaint",    False, Reason.SUPPRESSED_COMPLAINT),
    ("email-granted-hard-bounce",            MARKETING, EMAIL_CHANNEL, [G],                                   None,     "hard_bounce",  False, Reason.SUPPRESSED_HARD_BOUNCE),
    # Marketing SMS: always an opt-in, even for an existing customer.
    ("sms-none",                             MARKETING, SMS,           [],                                    None,     None,           False, Reason.NO_OPT_IN),
    ("sms-none-customer",                    MARKETING, SMS,           [],                                    RECENT,   None,           False, Reason.NO_OPT_IN),
    ("sms-granted",                          MARKETING, SMS,           [G],                                   None,     None,           True,  Reason.GRANTED),
    ("sms-refused",                          MARKETING, SMS,           [R],                                   RECENT,   None,           False, Reason.REFUSED),
    ("sms-withdrawn-after-granted",          MARKETING, SMS,           [G, W],                                None,     None,           False, Reason.WITHDRAWN),
    ("sms-granted-after-withdrawn",          MARKETING, SMS,           [W, G],                                None,     None,           True,  Reason.GRANTED),
    ("sms-granted-unsubscribed-number",      MARKETING, SMS,           [G],                                   None,     "unsubscribed", False, Reason.SUPPRESSED_UNSUBSCRIBED),
    ("sms-granted-on-email-only",            MARKETING, SMS,           [(*M_EMAIL, G)],                       RECENT,   None,           False, Reason.NO_OPT_IN),
    ("sms-granted-email-bounced",            MARKETING, SMS,           [G],                                   None,     (EMAIL_CHANNEL, "hard_bounce"), True, Reason.GRANTED),
    # Profiling: consent only, on no particular channel.
    ("profiling-none",                       PROFILING, ANY,           [],                                    RECENT,   None,           False, Reason.NO_OPT_IN),
    ("profiling-granted",                    PROFILING, ANY,           [G],                                   None,     None,           True,  Reason.GRANTED),
    ("profiling-withdrawn",                  PROFILING, ANY,           [G, W],                                None,     None,           False, Reason.WITHDRAWN),
    ("profiling-granted-asked-for-email",    PROFILING, EMAIL_CHANNEL, [(PROFILING, ANY, G)],                 None,     None,           True,  Reason.GRANTED),
]
# fmt: on


@pytest.mark.django_db
@pytest.mark.parametrize(
    "purpose, channel, history, bought, suppressed, allowed, reason",
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_consent_rules(customer, purpose, channel, history, bought, suppressed, allowed, reason):
    now = timezone.now()
    start = now - timedelta(days=10)
    for step, entry in enumerate(history):
        at = start + timedelta(hours=step)
        if entry == SAME_INSTANT:
            record(customer, purpose, channel, WITHDRAWN, at)
            record(customer, purpose, channel, GRANTED, at)
        elif isinstance(entry, tuple) and len(entry) == 3:
            record(customer, *entry, at=at)
        elif isinstance(entry, tuple):
            status, source = entry
            record(customer, purpose, channel, status, at, source=source)
        else:
            record(customer, purpose, channel, entry, at)
    if bought is not None:
        record_purchase(customer=customer, at=now - bought)
    if suppressed:
        on_channel, why = suppressed if isinstance(suppressed, tuple) else (channel, suppressed)
        value = PHONE if on_channel == SMS else EMAIL
        Suppression.objects.create(value=value, channel=on_channel, reason=why)

    decision = may_send(customer, purpose, channel)

    assert (decision.allowed, decision.reason) == (allowed, reason)
    assert bool(decision) is allowed


@pytest.mark.django_db
def test_the_ledger_is_read_as_it_stood_at_the_asked_time(customer):
    now = timezone.now()
    record(customer, MARKETING, EMAIL_CHANNEL, GRANTED, now - timedelta(days=10))
    record(customer, MARKETING, EMAIL_CHANNEL, WITHDRAWN, now - timedelta(days=2))

    assert may_send(customer, MARKETING, EMAIL_CHANNEL, at=now - timedelta(days=5)).allowed
    assert not may_send(customer, MARKETING, EMAIL_CHANNEL, at=now).allowed


@pytest.mark.django_db
def test_marketing_on_a_topic_the_customer_left_unticked_is_refused(customer):
    record(customer, MARKETING, EMAIL_CHANNEL, GRANTED, timezone.now() - timedelta(days=1))
    Preference.objects.create(customer=customer, topics=["news"])

    assert may_send(customer, MARKETING, EMAIL_CHANNEL, topic="news").allowed
    refused = may_send(customer, MARKETING, EMAIL_CHANNEL, topic="offers")
    assert refused.reason == Reason.TOPIC_NOT_CHOSEN


@pytest.mark.django_db
def test_a_customer_without_an_address_on_the_channel_cannot_be_reached(db):
    customer = Customer.objects.create(first_name="Sans", last_name="Adresse")

    decision = may_send(customer, SERVICE, SMS)

    assert (decision.allowed, decision.reason) == (False, Reason.NO_ADDRESS)


@pytest.mark.django_db
def test_one_live_address_is_enough_and_the_recipient_is_checked_as_given(customer):
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value="jm@travail.fr")
    Suppression.objects.create(value=EMAIL, channel=EMAIL_CHANNEL, reason="hard_bounce")

    assert may_send(customer, SERVICE, EMAIL_CHANNEL).allowed
    # The recipient is normalised before the look-up, as addresses are when suppressed.
    stopped = may_send(customer, SERVICE, EMAIL_CHANNEL, recipient="Jeanne.Martin@Example.FR")
    assert stopped.reason == Reason.SUPPRESSED_HARD_BOUNCE
    assert may_send(customer, SERVICE, EMAIL_CHANNEL, recipient="jm@travail.fr").allowed

    Suppression.objects.create(value="jm@travail.fr", channel=EMAIL_CHANNEL, reason="manual")
    assert not may_send(customer, SERVICE, EMAIL_CHANNEL).allowed


@pytest.mark.django_db
def test_a_purchase_event_arriving_late_does_not_move_the_date_back(customer):
    now = timezone.now()
    record_purchase(customer=customer, at=now - timedelta(days=1))
    record_purchase(customer=customer, at=now - timedelta(days=900))

    customer.refresh_from_db()
    assert customer.last_purchase_at == now - timedelta(days=1)
