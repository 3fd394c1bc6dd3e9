"""`comptoir parse-mail FILE [--json]`: show what Comptoir reads in an email. Needs no database."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.mail.parsing import parse_email


class Command(BaseCommand):
    help = "Parse an email file (.eml) and print what Comptoir reads in it."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

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
        if options["json"]:
            self.stdout.write(json.dumps(parsed.as_json(), ensure_ascii=False))
            return
        lines = [
            f"From:     {parsed.from_name} <{parsed.from_address}>",
            f"To:       {', '.join(parsed.to)}",
            f"Subject:  {parsed.subject}",
            f"Date:     {parsed.date.isoformat() if parsed.date else '-'}",
            f"Language: {parsed.language or '-'}   automatic: {'yes' if parsed.auto_submitted else 'no'}",
            f"Attachments: {len(parsed.attachments)}",
            "",
            parsed.reply_text,
        ]
        if parsed.defects:
            lines.insert(6, f"Defects:  {', '.join(sorted(set(parsed.defects)))}")
        self.stdout.write("\n".join(lines))
