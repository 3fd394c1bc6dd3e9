"""The runner records one delivery per recipient, at the campaign's rate, in a stable order,
and never twice; a campaign can be paused, resumed and cancelled."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.campaigns import services
from comptoir.campaigns.models import Campaign
from comptoir.consents import services as consents
from comptoir.consents.models import Preference, Source
from comptoir.consents.rules import Reason
from comptoir.messaging import dispatch
from comptoir.messaging.models import Delivery
from tests.campaigns.conftest import make_campaign, make_customer

pytestmark = pytest.mark.django_db


def launched(campaign: Campaign) -> Campaign:
    assert services.launch_campaign(campaign=campaign)
    return campaign


def test_given_a_launched_campaign_when_its_rate_allows_all_then_each_recipient_gets_one_delivery(
    campaign, customers, no_worker
):
    launched(campaign)

    recorded = services.advance_campaign(
        campaign_id=campaign.pk, at=campaign.started_at + timedelta(minutes=1)
    )

    campaign.refresh_from_db()
    assert recorded == 5
    assert campaign.status == Campaign.Status.DONE
    assert campaign.last_customer_id == customers[-1].pk
    deliveries = Delivery.objects.filter(campaign=campaign).order_by("customer_id")
    assert [d.customer_id for d in deliveries] == [c.pk for c in customers]
    assert {d.dedupe_key for d in deliveries} == {f"campaign:{campaign.pk}"}
    assert {d.status for d in deliveries} == {Delivery.Status.QUEUED}
    assert deliveries[0].context["event"]["topic"] == "nos idées pour éclairer les fêtes"


def test_given_a_rate_of_60_a_minute_when_ten_seconds_passed_then_ten_recipients_are_recorded(
    invitation, segment, no_worker
):
    for number in range(6, 31):
        segment.customers.add(make_customer(number))
    campaign = launched(make_campaign(invitation, segment, rate_per_minute=60))

    first = services.advance_campaign(
        campaign_id=campaign.pk, at=campaign.started_at + timedelta(seconds=10)
    )
    again = services.advance_campaign(
        campaign_id=campaign.pk, at=campaign.started_at + timedelta(seconds=10)
    )
    later = services.advance_campaign(
        campaign_id=campaign.pk, at=campaign.started_at + timedelta(seconds=15)
    )

    assert (first, again, later) == (10, 0, 5)
    assert Delivery.objects.filter(campaign=campaign).count() == 15


def test_given_a_worker_stopped_for_an_hour_when_it_comes_back_then_only_a_minute_of_credit_is_spent(
    invitation, segment, no_worker
):
    for number in range(6, 200):
        segment.customers.add(make_customer(number))
    campaign = launched(make_campaign(invitation, segment, rate_per_minute=60))

    recorded = services.advance_campaign(
        campaign_id=campaign.pk, at=campaign.started_at + timedelta(hours=1)
    )

    assert recorded == 60


def test_given_a_chunk_recorded_twice_when_the_cursor_was_lost_then_nobody_gets_two_deliveries(
    campaign, no_worker
):
    launched(campaign)
    at = campaign.started_at + timedelta(minutes=1)
    services.advance_campaign(campaign_id=campaign.pk, at=at)
    # As if a second runner had read the old cursor (SQLite has no row lock).
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SENDING, last_customer_id=0, credit_since=at
    )

    services.advance_campaign(campaign_id=campaign.pk, at=at + timedelta(minutes=1))

    assert Delivery.objects.filter(campaign=campaign).count() == 5


def test_given_segment_members_added_after_the_launch_then_they_are_not_sent_to(
    campaign, segment, no_worker
):
    launched(campaign)
    segment.customers.add(make_customer(99))

    services.advance_campaign(campaign_id=campaign.pk, at=timezone.now() + timedelta(minutes=1))

    assert Delivery.objects.filter(campaign=campaign).count() == 5
    assert campaign.recipients.count() == 5


def test_given_a_paused_campaign_then_nothing_is_recorded_until_it_resumes_where_it_stopped(
    invitation, segment, no_worker
):
    campaign = launched(make_campaign(invitation, segment, rate_per_minute=60))
    services.advance_campaign(
        campaign_id=campaign.pk, at=campaign.started_at + timedelta(seconds=2)
    )
    assert services.pause_campaign(campaign=campaign)

    paused = services.advance_campaign(
        campaign_id=campaign.pk, at=timezone.now() + timedelta(hours=1)
    )
    assert paused == 0
    assert not services.pause_campaign(campaign=campaign), "already paused"

    resumed_at = timezone.now()
    assert services.resume_campaign(campaign=campaign, at=resumed_at)
    services.advance_campaign(campaign_id=campaign.pk, at=resumed_at + timedelta(seconds=10))

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE
    assert Delivery.objects.filter(campaign=campaign).count() == 5


def test_given_a_cancelled_campaign_then_its_unsent_deliveries_never_leave(
    invitation, segment, no_worker, smtp_sink
):
    campaign = launched(make_campaign(invitation, segment, rate_per_minute=60))
    services.advance_campaign(
        campaign_id=campaign.pk, at=campaign.started_at + timedelta(seconds=2)
    )

    assert services.cancel_campaign(campaign=campaign)
    services.advance_campaign(campaign_id=campaign.pk, at=timezone.now() + timedelta(hours=1))
    dispatch.send_due_deliveries()

    deliveries = Delivery.objects.filter(campaign=campaign)
    assert deliveries.count() == 2
    assert {d.status for d in deliveries} == {Delivery.Status.FAILED}
    assert smtp_sink.received == []
    assert not services.cancel_campaign(campaign=campaign)


def test_given_customers_who_left_marketing_or_the_topic_then_they_are_refused_with_the_reason(
    invitation, segment, customers, no_worker
):
    consents.withdraw_marketing(customer=customers[0], proof=consents.Proof(source=Source.AGENT))
    Preference.objects.create(customer=customers[1], topics=["offers"])
    stranger = make_customer(50, bought=False)
    segment.customers.add(stranger)
    campaign = launched(make_campaign(invitation, segment, topic="events"))

    services.advance_campaign(
        campaign_id=campaign.pk, at=campaign.started_at + timedelta(minutes=1)
    )

    reasons = dict(
        Delivery.objects.filter(campaign=campaign).values_list("customer_id", "refusal_reason")
    )
    assert reasons[customers[0].pk] == Reason.WITHDRAWN
    assert reasons[customers[1].pk] == Reason.TOPIC_NOT_CHOSEN
    assert reasons[stranger.pk] == Reason.NO_OPT_IN
    assert reasons[customers[2].pk] == ""


def test_given_a_sending_campaign_when_the_worker_sweeps_then_the_emails_reach_the_smtp_server(
    campaign, customers, no_worker, smtp_sink
):
    launched(campaign)

    services.advance_sending_campaigns(at=campaign.started_at + timedelta(minutes=1))
    sent = dispatch.send_due_deliveries()

    assert sent == 5
    assert sorted(r for email in smtp_sink.received for r in email.envelope_to) == sorted(
        f"client{n}@example.fr" for n in range(1, 6)
    )
    first = smtp_sink.received[0].message
    assert "séance en direct" in first["Subject"]
    assert first["List-Unsubscribe"]
    body = first.get_body(preferencelist=("plain",)).get_content()
    assert "10 décembre" in body and "18 h 30" in body
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        Delivery.Status.SENT
    }
    # A second sweep finds the campaign done and records nothing.
    assert services.advance_sending_campaigns(at=timezone.now() + timedelta(hours=1)) == 0
    assert dispatch.send_due_deliveries() == 0
    assert len(smtp_sink.received) == 5


def test_the_worker_sweeps_sending_campaigns_every_ten_seconds():
    from comptoir.campaigns.tasks import advance_sending_campaigns_task
    from comptoir.core.management.commands.worker import periodic_jobs

    assert (10, advance_sending_campaigns_task) in periodic_jobs()


def test_given_one_campaign_failing_when_the_worker_sweeps_then_the_others_still_advance(
    invitation, segment, no_worker, monkeypatch
):
    broken = launched(make_campaign(invitation, segment))
    healthy = launched(make_campaign(invitation, segment))
    advance = services.advance_campaign

    def advance_or_fail(*, campaign_id: int, at=None) -> int:
        if campaign_id == broken.pk:
            raise RuntimeError("database hiccup")
        return advance(campaign_id=campaign_id, at=at)

    monkeypatch.setattr(services, "advance_campaign", advance_or_fail)

    recorded = services.advance_sending_campaigns(at=timezone.now() + timedelta(minutes=1))

    assert recorded == 5
    assert Delivery.objects.filter(campaign=healthy).count() == 5
