"""The demo company loads through the real inbound and reply paths, once."""

from django.core.management import call_command

from comptoir.conversations.models import Conversation, Message
from comptoir.customers.models import Customer, Identity
from comptoir.mail.models import InboundEmail
from comptoir.messaging.models import Delivery, MessageTemplate


def test_demo_fills_every_status_through_the_real_inbound_path(db, mailoutbox):
    call_command("load_demo")

    for status in Conversation.Status.values:
        assert Conversation.objects.filter(status=status).count() == 12, status
    assert Customer.objects.count() >= 300
    assert Identity.objects.filter(kind=Identity.Kind.PHONE, value__startswith="+33").count() > 50
    # Every customer email went through receive_raw_email + process_inbound_email.
    inbound = Message.objects.filter(direction=Message.Direction.INBOUND)
    assert InboundEmail.objects.filter(source="demo", status="processed").count() == inbound.count()
    assert not inbound.filter(raw_email__isnull=True).exists()
    assert Message.objects.filter(direction=Message.Direction.INTERNAL).exists()
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND, author__isnull=False).exists()
    # Nothing was sent for real.
    assert mailoutbox == []
    assert not Delivery.objects.exclude(
        status__in=[Delivery.Status.SENT, Delivery.Status.REFUSED]
    ).exists()
    # Orders confirmed through the sending path; an invitation consent refuses to prospects.
    confirmations = Delivery.objects.filter(template__slug="order-confirmation")
    assert confirmations.filter(status=Delivery.Status.SENT).count() == 40
    assert Delivery.objects.filter(
        template__slug="live-session-invitation", refusal_reason="no_opt_in"
    ).exists()
    assert MessageTemplate.objects.filter(live_version__isnull=False).count() == 22


def test_loading_the_demo_twice_duplicates_nothing(db):
    call_command("load_demo")
    counts = (Conversation.objects.count(), Message.objects.count(), Customer.objects.count())

    call_command("load_demo")

    assert (Conversation.objects.count(), Message.objects.count(), Customer.objects.count()) == counts


def test_demo_has_a_finished_campaign_with_a_report(db):
    from comptoir.campaigns import queries
    from comptoir.campaigns.models import Campaign

    call_command("load_demo")

    campaign = Campaign.objects.get()
    report = queries.get_report(campaign)
    assert campaign.status == Campaign.Status.DONE
    assert (report.recipients, report.not_consented) == (10, 2)
    # Sent on a weekday morning; only a public holiday that morning would hold them back.
    assert report.sent + report.held_by_pressure == 8
    if report.sent == 8:
        assert (report.opened, report.clicked, report.unsubscribed) == (3, 1, 1)
