"""`comptoir classify FILE [--json]`: sort an email file as an inbound conversation would be."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.mail.parsing import parse_email
from comptoir.sorting import services


class Command(BaseCommand):
    help = "Classify an email file (.eml): category, level, language, sentiment."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to a raw email (.eml)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}", returncode=2)
        parsed = parse_email(raw)
        prediction = services.classify_text(
            parsed.subject, parsed.reply_text or parsed.text, language=parsed.language
        )
        if options["json"]:
            self.stdout.write(json.dumps(prediction.as_json(), ensure_ascii=False))
            return
        self.stdout.write(
            "\n".join(
                [
                    f"Category:  {prediction.category} ({prediction.confidence:.0%})",
                    f"Level:     {prediction.level}",
                    f"Language:  {prediction.language or '-'}",
                    f"Sentiment: {prediction.sentiment}",
                    f"Urgency:   {prediction.urgency}",
                    f"Model:     v{prediction.model_version}",
                ]
            )
        )
