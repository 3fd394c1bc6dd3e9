"""`comptoir campaign send ID` runs a campaign in the foreground at its rate;
`comptoir campaign report ID [--json]` prints its figures."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.campaigns import queries, services
from comptoir.campaigns.models import Campaign


class Command(BaseCommand):
    help = "Send a campaign (launching a draft) or print its report."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        send = actions.add_parser("send", help="launch a draft, then record its deliveries")
        send.add_argument("campaign_id", type=int)
        report = actions.add_parser("report", help="print the campaign's figures")
        report.add_argument("campaign_id", type=int)
        report.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: object, action: str, campaign_id: int, **options: object) -> None:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"no campaign {campaign_id}")
        if action == "send":
            self.send(campaign)
        else:
            self.report(campaign, as_json=bool(options.get("json")))

    def send(self, campaign: Campaign) -> None:
        if campaign.status == Campaign.Status.DRAFT:
            services.launch_campaign(campaign=campaign)
        if campaign.status != Campaign.Status.SENDING:
            raise CommandError(f"campaign {campaign.pk} is {campaign.status}, not sending")
        # The worker's sweep may run the same campaign meanwhile: chunks take the campaign row
        # lock, and the dedupe key sends nobody twice whoever records first.
        finished = services.run_campaign(
            campaign_id=campaign.pk,
            on_chunk=self.progress,
        )
        self.stdout.write(f"campaign {finished.pk}: {finished.status}")

    def progress(self, count: int) -> None:
        # Flushed: a supervisor (or a test) reads the progress from a pipe as it happens.
        self.stdout.write(f"recorded {count}")
        self.stdout.flush()

    def report(self, campaign: Campaign, *, as_json: bool) -> None:
        report = queries.get_report(campaign)
        if as_json:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
            return
        for name, value in report.as_json().items():
            self.stdout.write(f"{name}: {value}")
