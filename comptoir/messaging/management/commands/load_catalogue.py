"""`comptoir load-catalogue [--replace]`: add the ready-made French message templates.

Idempotent: what is already there is left alone, unless --replace puts the catalogue's text
back (as a new version of each template, the history kept).
"""

from django.core.management.base import BaseCommand, CommandParser

from comptoir.messaging.services import load_catalogue


class Command(BaseCommand):
    help = "Add the catalogue's message blocks and templates that are missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--replace", action="store_true", help="put the catalogue's text back everywhere"
        )

    def handle(self, *args: object, **options: object) -> None:
        result = load_catalogue(replace=bool(options["replace"]))
        self.stdout.write(
            f"{result.blocks_created} blocks and {result.templates_created} templates added, "
            f"{result.left_alone} already there"
        )
