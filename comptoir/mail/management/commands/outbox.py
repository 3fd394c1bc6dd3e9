from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from comptoir.mail import outbox


class Command(BaseCommand):
    help = "Run the demo's outbox: an SMTP server that writes what Comptoir sends to .eml files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.COMPTOIR_OUTBOX_PORT)

    def handle(self, *args: object, host: str, port: int, **options: object) -> None:
        outbox.run(host, port, settings.DATA_DIR / "outbox")
