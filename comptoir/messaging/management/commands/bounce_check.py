"""`comptoir bounce-check FILE [--json]`: say what an email that came back from a send is."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.messaging.bounces import classify_message


class Command(BaseCommand):
    help = "Classify an email file: hard or soft bounce, complaint, auto-reply, or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path to a raw email (.eml)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}", returncode=2)
        report = classify_message(raw)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
            return
        lines = [f"Kind:       {report.kind}", f"Bounce:     {'yes' if report.is_bounce else 'no'}"]
        for failure in report.failures:
            lines.append(f"Recipient:  {failure.address or '?'} {failure.kind} {failure.status}")
        for address in report.complainants:
            lines.append(f"Complaint:  {address}")
        self.stdout.write("\n".join(lines))
