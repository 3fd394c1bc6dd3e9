"""`comptoir rebuild-pressure [--customer ID]`: compute pressure snapshots again from history.

Needed after a half-life changes or a cap is raised in the policy: the snapshots were kept with
the old rules. Customer by customer, each under its own lock, so sends can go on meanwhile.
"""

from django.core.management.base import BaseCommand, CommandParser

from comptoir.consents.models import Solicitation
from comptoir.consents.pressure import rebuild_pressure_state
from comptoir.customers.models import Customer


class Command(BaseCommand):
    help = "Compute every customer's marketing-pressure snapshot again from their solicitations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", type=int, help="only this customer's id")

    def handle(self, *args: object, **options: object) -> None:
        ids = Solicitation.objects.values_list("customer_id", flat=True).distinct()
        if options["customer"]:
            ids = ids.filter(customer_id=options["customer"])
        rebuilt = 0
        for customer in Customer.objects.filter(pk__in=ids).order_by("pk").iterator():
            rebuild_pressure_state(customer=customer)
            rebuilt += 1
        self.stdout.write(f"{rebuilt} customers' pressure rebuilt")
