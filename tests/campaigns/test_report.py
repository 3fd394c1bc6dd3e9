"""The report counts what became of a campaign's deliveries, in a few queries whatever its size."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from comptoir.campaigns import queries, services
from comptoir.campaigns.models import Campaign
from comptoir.consents import services as consents
from comptoir.consents.models import Source
from comptoir.consents.rules import Reason
from comptoir.messaging.models import Delivery, SendReason
from tests.campaigns.conftest import make_customer

pytestmark = pytest.mark.django_db


def deliver(campaign: Campaign, customer, **fields) -> Delivery:
    fields.setdefault("status", Delivery.Status.SENT)
    if fields["status"] in (Delivery.Status.SENT, Delivery.Status.BOUNCED):
        fields.setdefault("sent_at", timezone.now() - timedelta(hours=2))
    return Delivery.objects.create(
        customer=customer,
        template=campaign.template,
        campaign=campaign,
        dedupe_key=f"campaign:{campaign.pk}",
        recipient=f"{customer.pk}@example.fr",
        **fields,
    )


@pytest.fixture
def finished(campaign, customers) -> Campaign:
    """Ten customers: what became of each is set by hand, as the other helpers record it."""
    people = customers + [make_customer(number) for number in range(6, 11)]
    services.add_recipients(campaign, [person.pk for person in people])
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DONE)
    campaign.refresh_from_db()
    now = timezone.now()
    deliver(campaign, people[0], opened_at=now, clicked_at=now)
    deliver(campaign, people[1], opened_at=now)
    deliver(campaign, people[2])
    deliver(campaign, people[3], status=Delivery.Status.BOUNCED)
    deliver(
        campaign,
        people[4],
        status=Delivery.Status.HELD,
        refusal_reason=SendReason.PRESSURE_MIN_DELAY,
        next_attempt_at=now,
    )
    deliver(
        campaign,
        people[5],
        status=Delivery.Status.REFUSED,
        refusal_reason=SendReason.PRESSURE_SCORE,
    )
    deliver(campaign, people[6], status=Delivery.Status.REFUSED, refusal_reason=Reason.WITHDRAWN)
    deliver(campaign, people[7], status=Delivery.Status.REFUSED, refusal_reason=Reason.NO_OPT_IN)
    deliver(campaign, people[8], status=Delivery.Status.REFUSED, refusal_reason=Reason.NO_OPT_IN)
    deliver(campaign, people[9], status=Delivery.Status.FAILED, last_error="550")
    # After the send: one left by the one-click link, one by a spam complaint; before the
    # send, or by an agent's hand, is not an answer to this campaign.
    consents.withdraw_marketing(customer=people[0], proof=consents.Proof(source=Source.ONE_CLICK))
    consents.withdraw_marketing(customer=people[1], proof=consents.Proof(source=Source.COMPLAINT))
    consents.withdraw_marketing(customer=people[2], proof=consents.Proof(source=Source.AGENT))
    consents.withdraw_marketing(
        customer=people[3],
        proof=consents.Proof(source=Source.ONE_CLICK, collected_at=now - timedelta(days=1)),
    )
    return campaign


def test_given_a_finished_campaign_then_the_report_counts_each_outcome(finished):
    report = queries.get_report(finished)

    assert report.as_json() == {
        "recipients": 10,
        "recorded": 10,
        "waiting": 0,
        "sent": 4,
        "held_by_pressure": 2,
        "not_consented": 3,
        "bounced": 1,
        "opened": 2,
        "clicked": 1,
        "unsubscribed": 2,
        "failed": 1,
        "not_consented_by_reason": {"no_opt_in": 2, "withdrawn": 1},
    }
    assert report.not_consented_by_reason[0][:2] == ("no_opt_in", str(Reason.NO_OPT_IN.label))


def test_the_report_costs_three_queries_whatever_the_campaign_size(
    finished, django_assert_num_queries
):
    with django_assert_num_queries(3):
        queries.get_report(finished)
    more = [make_customer(number) for number in range(20, 60)]
    services.add_recipients(finished, [person.pk for person in more])
    for person in more:
        deliver(finished, person, opened_at=timezone.now())
    with django_assert_num_queries(3):
        report = queries.get_report(finished)
    assert report.recipients == 50 and report.opened == 42


def test_the_cli_prints_the_report_as_json(finished, capsys):
    call_command("campaign", "report", str(finished.pk), "--json")
    printed = capsys.readouterr().out
    assert '"sent": 4' in printed and '"unsubscribed": 2' in printed
