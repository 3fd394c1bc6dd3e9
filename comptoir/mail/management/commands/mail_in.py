from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from comptoir.mail import smtp_listener


class Command(BaseCommand):
    help = (
        "Run the inbound mail role: an SMTP (or LMTP) listener that stores every message "
        "before answering 250 and hands it to the worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.COMPTOIR_MAIL_IN_HOST)
        parser.add_argument("--port", type=int, default=settings.COMPTOIR_MAIL_IN_PORT)
        parser.add_argument(
            "--lmtp", action="store_true", default=settings.COMPTOIR_MAIL_IN_LMTP,
            help="speak LMTP (behind Postfix or Dovecot) instead of SMTP",
        )
        parser.add_argument(
            "--max-size", type=int, default=settings.COMPTOIR_MAIL_MAX_SIZE,
            help="largest message accepted, in bytes (larger ones get 552)",
        )

    def handle(self, *args: object, host: str, port: int, lmtp: bool, max_size: int,
               **options: object) -> None:
        smtp_listener.run(host, port, lmtp=lmtp, max_size=max_size)
