"""`comptoir classify FILE [--json]`: sort an email file as an inbound conversation would be."""

import json

from comptoir.mail.management.email_file_command import EmailFileCommand
from comptoir.mail.parsing import parse_email
from comptoir.sorting import services


class Command(EmailFileCommand):
    help = "Classify an email file (.eml): category, level, language, sentiment."

    def handle(self, *args: object, **options: object) -> None:
        _, raw = self.read_file(options)
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
