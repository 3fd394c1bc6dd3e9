"""`comptoir train-classifier`: train a new classifier version and print its accuracy."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.sorting import services
from comptoir.sorting.classifier import TARGETS


class Command(BaseCommand):
    help = "Train the sorting classifier on the starter set and the managers' corrections."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-starter",
            action="store_true",
            help="train on corrected conversations only, without the French starter set",
        )

    def handle(self, *args: object, no_starter: bool, **options: object) -> None:
        try:
            model = services.retrain(include_starter=not no_starter)
        except services.SortingError as error:
            raise CommandError(str(error))
        self.stdout.write(
            f"classifier v{model.version}: {model.training_size} examples "
            f"({model.corrections} corrected conversations), {model.training_seconds:.1f} s"
        )
        self.stdout.write("held-out accuracy (stratified 20 %, fixed seed):")
        for target in TARGETS:
            self.stdout.write(f"  {target:<10} {model.accuracy.get(target, 0):.1%}")
