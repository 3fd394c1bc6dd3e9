from django.core.management.base import BaseCommand

from comptoir.core.demo import DEMO_PASSWORD, load_demo_company


class Command(BaseCommand):
    help = "Load the French demo company (Maison Lumière) once; running it again changes nothing."

    def handle(self, *args: object, **options: object) -> None:
        summary = load_demo_company()
        if not summary.created:
            self.stdout.write("Demo already loaded: nothing to do.")
            return
        statuses = ", ".join(f"{status} {count}" for status, count in summary.conversations.items())
        self.stdout.write(f"Demo Maison Lumière loaded: {summary.customers} customers; "
                          f"conversations: {statuses}.")
        self.stdout.write("Demo agents (password for all of them, demo only: "
                          f"{DEMO_PASSWORD!r}): {', '.join(summary.agents)}")
        self.stdout.write("Demo replies are recorded as sent; no email leaves the machine.")
