"""Marketing pressure: the score that fades, the caps, the delay, quiet hours, and the sending path."""

import random
import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from comptoir.agents.tokens import create_api_token
from comptoir.consents.models import (
    ConsentRecord,
    ConsentStatus,
    Frequency,
    Preference,
    PressurePolicy,
    PressureState,
    Purpose,
    Solicitation,
    Source,
)
from comptoir.consents.pressure import (
    check_pressure,
    current_policy,
    read_state,
    rebuild_pressure_state,
    record_solicitation,
    save_pressure_policy,
)
from comptoir.consents.pressure_rules import Policy, fold
from comptoir.customers.models import Customer
from comptoir.messaging.models import Delivery, MessageKind, MessageTemplate, SendReason
from comptoir.privacy.merging import merge_customers, undo_merge
from comptoir.messaging.sending import Outbound, release_held_deliveries, send_outbound
from comptoir.messaging.services import save_message_template
from tests.customers.conftest import ApiClient

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday morning in Paris: no quiet hours.
TUESDAY_10H = datetime(2026, 11, 24, 10, 0, tzinfo=PARIS)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
MARKETING, TRANSACTIONAL = MessageKind.MARKETING, MessageKind.TRANSACTIONAL


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def solicit(customer: Customer, channel: str, at: datetime, kind: str = MARKETING) -> None:
    record_solicitation(customer=customer, channel=channel, kind=kind, at=at)


def check(customer: Customer, at: datetime, channel: str = "email", kind: str = MARKETING):
    return check_pressure(customer=customer, channel=channel, kind=kind, at=at)


def save_policy(**changes: object) -> PressurePolicy:
    return save_pressure_policy(policy=PressurePolicy(**changes))


# --- The score ----------------------------------------------------------------------------


def test_given_one_email_when_a_half_life_passes_then_it_weighs_half():
    policy = Policy.of(PressurePolicy())
    snapshot = fold(policy, [("email", MARKETING, TUESDAY_10H)])

    assert snapshot.score(policy, TUESDAY_10H) == pytest.approx(1.0)
    assert snapshot.score(policy, TUESDAY_10H + 7 * DAY) == pytest.approx(0.5)
    assert snapshot.score(policy, TUESDAY_10H + 14 * DAY) == pytest.approx(0.25)


def test_given_a_meeting_and_a_push_then_each_weighs_its_weight_and_fades_at_its_pace():
    policy = Policy.of(PressurePolicy())
    snapshot = fold(policy, [("meeting", MARKETING, TUESDAY_10H), ("push", MARKETING, TUESDAY_10H)])

    # A meeting: 4 points, half-life 30 days; a push: 0.5 point, half-life 3 days.
    assert snapshot.score(policy, TUESDAY_10H + 30 * DAY) == pytest.approx(2 + 0.5 * 0.5**10)


def test_a_week_across_the_change_of_time_fades_by_the_hours_that_really_passed():
    policy = Policy.of(PressurePolicy())
    snapshot = fold(policy, [("email", MARKETING, paris(2026, 3, 28, 12, 0))])

    # Saturday noon to the next Saturday noon: the clocks went forward, 167 hours passed.
    assert snapshot.score(policy, paris(2026, 4, 4, 12, 0)) == pytest.approx(0.5 ** (167 / 168))


def test_given_a_long_mixed_history_in_any_order_then_the_snapshot_scores_like_a_full_scan():
    policy = Policy.of(PressurePolicy())
    now = TUESDAY_10H.astimezone(UTC)  # the scan below subtracts by the clock of one zone
    rng = random.Random(4)
    types = ["email", "sms", "letter", "push", "call", "meeting"]
    history = [
        (rng.choice(types), MARKETING, now - timedelta(hours=rng.uniform(0, 2000)))
        for _ in range(200)
    ]
    snapshot = fold(policy, [])
    for solicitation_type, kind, at in history:  # as recorded, not in time order
        snapshot = snapshot.with_solicitation(
            policy, solicitation_type=solicitation_type, kind=kind, at=at
        )
    scanned = sum(
        policy.weight_of(t).weight * 0.5 ** ((now - at) / policy.weight_of(t).half_life)
        for t, _kind, at in history
    )

    assert snapshot.score(policy, now) == pytest.approx(scanned, rel=1e-9)
    # The row stays small: only what the caps and the delay can count.
    assert len(snapshot.recent) <= 3 + 4 + 2 + 3 + 12


# --- The rules -------------------------------------------------------------------------


def test_given_three_emails_this_week_when_a_fourth_is_checked_then_the_email_cap_holds_it(
    customer,
):
    for days_ago in (6, 4, 2):
        solicit(customer, "email", TUESDAY_10H - days_ago * DAY)

    verdict = check(customer, TUESDAY_10H)

    assert (verdict.allowed, verdict.reason) == (False, SendReason.PRESSURE_CHANNEL_LIMIT)
    # When the oldest of the three leaves the week.
    assert verdict.retry_at == TUESDAY_10H - 6 * DAY + 7 * DAY
    assert check(customer, TUESDAY_10H, channel="sms").allowed


def test_given_a_cap_across_the_change_of_time_then_its_week_lasts_168_hours(customer):
    for day in (26, 27, 28):
        solicit(customer, "email", paris(2026, 3, day, 10, 0))

    verdict = check(customer, paris(2026, 3, 30, 10, 0))

    assert verdict.reason == SendReason.PRESSURE_CHANNEL_LIMIT
    # Thursday 10:00 in winter time, a week later: 11:00 on the summer clock.
    assert verdict.retry_at == paris(2026, 4, 2, 11, 0)


def test_given_a_call_and_an_email_when_the_overall_cap_is_two_then_nothing_more_goes(customer):
    save_policy(caps=[{"type": "", "max": 2, "days": 7}])
    solicit(customer, "call", TUESDAY_10H - 5 * DAY)
    solicit(customer, "email", TUESDAY_10H - 3 * DAY)

    verdict = check(customer, TUESDAY_10H, channel="sms")

    assert (verdict.allowed, verdict.reason) == (False, SendReason.PRESSURE_OVERALL_LIMIT)
    assert verdict.retry_at == TUESDAY_10H + 2 * DAY


def test_given_an_email_two_hours_ago_then_the_next_waits_for_the_minimum_delay(customer):
    solicit(customer, "email", TUESDAY_10H - 2 * HOUR)

    verdict = check(customer, TUESDAY_10H, channel="sms")

    assert (verdict.allowed, verdict.reason) == (False, SendReason.PRESSURE_MIN_DELAY)
    assert verdict.retry_at == TUESDAY_10H + 22 * HOUR
    assert check(customer, TUESDAY_10H + 22 * HOUR).allowed


def test_given_meetings_and_calls_when_the_score_passes_the_threshold_then_it_waits_until_it_fades(
    customer,
):
    save_policy(score_threshold=5)
    solicit(customer, "meeting", TUESDAY_10H - 4 * DAY)
    solicit(customer, "meeting", TUESDAY_10H - 3 * DAY)

    verdict = check(customer, TUESDAY_10H)

    assert (verdict.allowed, verdict.reason) == (False, SendReason.PRESSURE_SCORE)
    # 8 points, halving every 30 days, fall under 5 about 17 days later.
    policy, (snapshot, _) = current_policy(), read_state(customer.pk)
    assert snapshot.score(policy, verdict.retry_at) < 5
    assert TUESDAY_10H + 16 * DAY < verdict.retry_at < TUESDAY_10H + 19 * DAY
    assert check(customer, verdict.retry_at).allowed


def test_given_a_zero_threshold_then_a_score_hold_has_no_time_to_retry(customer):
    save_policy(score_threshold=0)
    solicit(customer, "email", TUESDAY_10H - 5 * DAY)

    verdict = check(customer, TUESDAY_10H)

    assert (verdict.allowed, verdict.reason, verdict.retry_at) == (
        False,
        SendReason.PRESSURE_SCORE,
        None,
    )


def test_given_a_cap_that_ends_at_night_then_the_message_waits_for_the_morning(customer):
    for days_ago in (6, 4, 2):
        solicit(customer, "email", paris(2026, 11, 24, 22, 30) - days_ago * DAY)

    verdict = check(customer, TUESDAY_10H)

    assert verdict.reason == SendReason.PRESSURE_CHANNEL_LIMIT
    assert verdict.retry_at == paris(2026, 11, 26, 8, 0)  # not Wednesday 22:30


# --- Quiet hours -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "until"),
    [
        # Across midnight: the evening and the early morning wait for 08:00.
        (paris(2026, 11, 24, 21, 30), paris(2026, 11, 25, 8, 0)),
        (paris(2026, 11, 25, 6, 0), paris(2026, 11, 25, 8, 0)),
        (paris(2026, 11, 24, 20, 0), paris(2026, 11, 25, 8, 0)),
        # Saturday evening and the whole Sunday wait for Monday morning.
        (paris(2026, 11, 28, 20, 15), paris(2026, 11, 30, 8, 0)),
        (paris(2026, 11, 29, 14, 0), paris(2026, 11, 30, 8, 0)),
        # Christmas, a Friday, is a public holiday in France.
        (paris(2026, 12, 25, 11, 0), paris(2026, 12, 26, 8, 0)),
        # The night the clocks go forward (Sunday 29 March 2026): Monday 08:00 is 06:00 UTC.
        (paris(2026, 3, 28, 21, 0), datetime(2026, 3, 30, 6, 0, tzinfo=UTC)),
    ],
)
def test_given_quiet_hours_when_a_message_is_checked_then_it_waits_for_their_end(
    customer, at, until
):
    verdict = check(customer, at)

    assert (verdict.allowed, verdict.reason) == (False, SendReason.PRESSURE_QUIET_HOURS)
    assert verdict.retry_at == until


@pytest.mark.parametrize(
    ("at", "until_utc"),
    [
        # Spring forward: 23:00 CET, then 08:00 CEST the next morning is 06:00 UTC, not 07:00.
        (paris(2026, 3, 28, 23, 0), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        # Fall back: 23:00 CEST, then 08:00 CET is 07:00 UTC, not 06:00.
        (paris(2026, 10, 24, 23, 0), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
    ],
)
def test_given_a_daylight_saving_night_then_quiet_hours_end_at_eight_on_the_wall_clock(
    customer, at, until_utc
):
    save_policy(quiet_weekdays=[], quiet_on_public_holidays=False)

    assert check(customer, at).retry_at == until_utc
    assert check(customer, until_utc).allowed
    assert not check(customer, until_utc - timedelta(minutes=1)).allowed


def test_given_quiet_hours_within_a_day_then_only_that_stretch_is_quiet(customer):
    save_policy(quiet_from=time(12, 0), quiet_until=time(14, 0), quiet_weekdays=[])

    assert check(customer, paris(2026, 11, 24, 21, 0)).allowed
    assert check(customer, paris(2026, 11, 24, 13, 0)).retry_at == paris(2026, 11, 24, 14, 0)


# --- Transactional messages and the customer's own choice ------------------------------------


def test_a_transactional_message_is_never_held_back_but_counts(customer, django_assert_num_queries):
    for days_ago in (6, 4, 2):
        solicit(customer, "email", TUESDAY_10H - days_ago * DAY)
    sunday_night = paris(2026, 11, 29, 23, 0)

    with django_assert_num_queries(0):
        assert check(customer, sunday_night, kind=TRANSACTIONAL).allowed
    solicit(customer, "sms", TUESDAY_10H - 1 * DAY, kind=TRANSACTIONAL)

    verdict = check(customer, TUESDAY_10H, channel="sms")
    assert (verdict.allowed, verdict.reason) == (False, SendReason.PRESSURE_OVERALL_LIMIT)


@pytest.mark.parametrize(("frequency", "days"), [(Frequency.WEEKLY, 7), (Frequency.MONTHLY, 30)])
def test_given_a_customer_who_wants_one_message_a_period_then_the_next_waits_for_it(
    customer, frequency, days
):
    Preference.objects.create(customer=customer, frequency=frequency)
    solicit(customer, "email", TUESDAY_10H - 3 * DAY, kind=MessageKind.RELATIONSHIP)

    verdict = check(customer, TUESDAY_10H, channel="sms")

    assert (verdict.allowed, verdict.reason) == (False, SendReason.PRESSURE_OVERALL_LIMIT)
    assert verdict.retry_at == TUESDAY_10H - 3 * DAY + days * DAY


def test_given_a_weekly_customer_then_their_orders_messages_do_not_use_up_the_week(customer):
    Preference.objects.create(customer=customer, frequency=Frequency.WEEKLY)
    solicit(customer, "email", TUESDAY_10H - 3 * DAY, kind=TRANSACTIONAL)

    assert check(customer, TUESDAY_10H).allowed


# --- Cost ------------------------------------------------------------------------------


@pytest.mark.parametrize("history", [0, 200])
def test_checking_pressure_costs_one_query_whatever_the_history(
    customer, django_assert_num_queries, history
):
    Preference.objects.create(customer=customer, frequency=Frequency.WEEKLY)
    for number in range(history):
        solicit(customer, ["email", "sms", "call"][number % 3], TUESDAY_10H - number * 5 * HOUR)
    cache.clear()

    with django_assert_num_queries(2):  # the policy, then the customer's state row
        first = check(customer, TUESDAY_10H + 30 * DAY)
    with django_assert_num_queries(1):  # the policy is in the cache
        again = check(customer, TUESDAY_10H + 30 * DAY)

    assert first == again
    assert first.allowed == (history == 0)


def test_a_saved_policy_applies_to_the_next_check(customer):
    assert check(customer, TUESDAY_10H).allowed  # the defaults, now in the cache

    save_policy(quiet_from=time(9, 0), quiet_until=time(18, 0))

    assert check(customer, TUESDAY_10H).reason == SendReason.PRESSURE_QUIET_HOURS


# --- The sending path ------------------------------------------------------------------


@pytest.fixture
def offer(db) -> MessageTemplate:
    template = MessageTemplate(name="Offres", slug="offres", kind=MARKETING, channel="email")
    return save_message_template(
        template=template,
        subject="{{ customer.first_name }}, vos offres",
        body="<p>Bonjour</p>",
        author=None,
    )


@pytest.fixture
def subscriber(customer) -> Customer:
    ConsentRecord.objects.create(
        customer=customer,
        purpose=Purpose.MARKETING,
        channel="email",
        status=ConsentStatus.GRANTED,
        source=Source.FORM,
        collected_at=TUESDAY_10H - 100 * DAY,
    )
    return customer


def test_given_a_recent_email_when_an_offer_is_sent_then_it_is_held_until_the_delay_ends(
    subscriber, offer
):
    solicit(subscriber, "email", TUESDAY_10H - 2 * HOUR, kind=TRANSACTIONAL)

    delivery = send_outbound(Outbound(template=offer, customer=subscriber), at=TUESDAY_10H)

    assert delivery.status == Delivery.Status.HELD
    assert delivery.refusal_reason == SendReason.PRESSURE_MIN_DELAY
    assert delivery.next_attempt_at == TUESDAY_10H + 22 * HOUR
    assert subscriber.solicitations.count() == 1  # a held message weighs nothing yet


def test_given_an_offer_that_must_not_wait_when_pressure_holds_it_then_it_is_refused(
    subscriber, offer
):
    solicit(subscriber, "email", TUESDAY_10H - 2 * HOUR)

    delivery = send_outbound(
        Outbound(template=offer, customer=subscriber, defer_when_pressured=False), at=TUESDAY_10H
    )

    assert delivery.status == Delivery.Status.REFUSED
    assert delivery.refusal_reason == SendReason.PRESSURE_MIN_DELAY
    assert delivery.next_attempt_at is None


def test_given_a_held_offer_when_its_time_comes_then_it_is_released_and_counted(subscriber, offer):
    solicit(subscriber, "email", TUESDAY_10H - 2 * HOUR)
    delivery = send_outbound(Outbound(template=offer, customer=subscriber), at=TUESDAY_10H)

    released_at = delivery.next_attempt_at

    assert release_held_deliveries(at=released_at - HOUR) == 0
    assert release_held_deliveries(at=released_at) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == (Delivery.Status.QUEUED, None)
    assert subscriber.solicitations.count() == 2
    assert check(subscriber, released_at).reason == SendReason.PRESSURE_MIN_DELAY


def test_given_a_held_offer_when_another_message_went_meanwhile_then_it_is_held_again(
    subscriber, offer
):
    solicit(subscriber, "email", TUESDAY_10H - 2 * HOUR)
    delivery = send_outbound(Outbound(template=offer, customer=subscriber), at=TUESDAY_10H)
    solicit(subscriber, "call", TUESDAY_10H + 20 * HOUR)

    assert release_held_deliveries(at=delivery.next_attempt_at) == 0

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.HELD
    # A day after the call is Thursday 06:00, in quiet hours: 08:00 then.
    assert delivery.next_attempt_at == paris(2026, 11, 26, 8, 0)


def test_a_queued_message_counts_in_the_pressure(subscriber, offer):
    send_outbound(Outbound(template=offer, customer=subscriber), at=TUESDAY_10H)

    assert list(subscriber.solicitations.values_list("type", "kind", "source")) == [
        ("email", MARKETING, "sending")
    ]
    assert check(subscriber, TUESDAY_10H + HOUR).reason == SendReason.PRESSURE_MIN_DELAY


# --- The state row ---------------------------------------------------------------------


def test_given_a_state_lost_when_it_is_rebuilt_then_it_is_as_it_was(customer):
    for number in range(40):
        solicit(customer, ["email", "sms", "meeting"][number % 3], TUESDAY_10H - number * 7 * HOUR)
    kept = PressureState.objects.values("decayed_counts", "scored_at", "recent").get()
    PressureState.objects.all().delete()

    rebuild_pressure_state(customer=customer)
    rebuilt = PressureState.objects.values("decayed_counts", "scored_at", "recent").get()

    assert rebuilt["recent"] == kept["recent"] and rebuilt["scored_at"] == kept["scored_at"]
    assert rebuilt["decayed_counts"] == pytest.approx(kept["decayed_counts"])


def test_the_rebuild_command_applies_a_new_half_life(customer, capsys):
    solicit(customer, "email", TUESDAY_10H - 14 * DAY)
    solicit(customer, "email", TUESDAY_10H - 7 * DAY)
    weights = PressurePolicy().type_weights
    weights["email"]["half_life_days"] = 14
    save_policy(type_weights=weights)

    call_command("rebuild_pressure")

    snapshot, _ = read_state(customer.pk)
    assert snapshot.score(current_policy(), TUESDAY_10H) == pytest.approx(0.5 + 0.5**0.5)
    assert "1 customers' pressure rebuilt" in capsys.readouterr().out


def test_given_two_records_merged_then_the_kept_one_carries_both_pressures(customer, agent):
    other = Customer.objects.create(first_name="Jeanne", last_name="M.")
    solicit(customer, "email", TUESDAY_10H - 3 * DAY)
    solicit(other, "meeting", TUESDAY_10H - 2 * DAY)

    record = merge_customers(kept=customer, merged=other, actor=agent)

    policy, (snapshot, _) = current_policy(), read_state(customer.pk)
    assert snapshot.score(policy, TUESDAY_10H) == pytest.approx(
        0.5 ** (3 / 7) + 4 * 0.5 ** (2 / 30)
    )
    undo_merge(record=record, actor=agent)
    assert read_state(customer.pk)[0].score(policy, TUESDAY_10H) == pytest.approx(0.5 ** (3 / 7))


@pytest.mark.django_db(transaction=True)
def test_two_workers_recording_at_once_lose_no_count():
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite's IMMEDIATE transactions serialise writers; its test database is "
            "in memory, one per thread"
        )
    customer = Customer.objects.create(first_name="Jeanne")
    each, workers = 15, 4
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(each):
                solicit(customer, "push", TUESDAY_10H, kind=TRANSACTIONAL)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    state = PressureState.objects.get(customer=customer)
    assert state.decayed_counts == {"push": pytest.approx(each * workers)}
    assert Solicitation.objects.filter(customer=customer).count() == each * workers


# --- The policy, the API and the 360 page ------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"caps": [{"type": "fax", "max": 1, "days": 7}]},
        {"caps": [{"type": "email", "max": 0, "days": 7}]},
        {"type_weights": {"email": {"weight": 1, "half_life_days": 0}}},
        {"quiet_weekdays": [7]},
        {"time_zone": "Europe/Atlantis"},
    ],
)
def test_a_policy_that_cannot_be_applied_is_refused_with_a_reason(db, changes):
    with pytest.raises(ValidationError):
        PressurePolicy(**changes).full_clean()


@pytest.fixture
def api_as(db):
    def make(*scopes: str) -> ApiClient:
        return ApiClient(create_api_token(name="boutique", scopes=list(scopes)).secret)

    return make


def test_a_shops_push_is_counted_once_through_the_api(api_as, customer):
    client = api_as("events:write")
    url = f"/api/customers/{customer.pk}/solicitations"
    payload = {
        "type": "push",
        "at": (TUESDAY_10H - HOUR).isoformat(),
        "source": "boutique",
        "external_id": "push-42",
        "note": "Soldes d'hiver",
    }

    first, again = client.post(url, payload), client.post(url, payload)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert customer.solicitations.count() == 1
    assert check(customer, TUESDAY_10H).reason == SendReason.PRESSURE_MIN_DELAY


def test_an_unknown_solicitation_type_or_a_token_without_the_scope_is_refused(api_as, customer):
    url = f"/api/customers/{customer.pk}/solicitations"

    assert api_as("events:write").post(url, {"type": "fax"}).status_code == 422
    assert api_as("customers:write").post(url, {"type": "call"}).status_code == 403
    assert customer.solicitations.count() == 0


def test_the_360_page_shows_the_score_and_the_latest_solicitations(agent, customer):
    record_solicitation(
        customer=customer, channel="call", kind=MARKETING, at=TUESDAY_10H, note="Relance devis"
    )
    client = Client()
    client.force_login(agent)

    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert "Pression marketing" in page
    assert "Relance devis" in page and "Appel sortant" in page
