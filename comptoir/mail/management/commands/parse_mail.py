"""`comptoir parse-mail FILE [--json]`: show what Comptoir reads in an email. Needs no database."""

import json

from comptoir.mail.management.email_file_command import EmailFileCommand
from comptoir.mail.parsing import parse_email


class Command(EmailFileCommand):
    help = "Parse an email file (.eml) and print what Comptoir reads in it."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def handle(self, *args: object, **options: object) -> None:
        _, raw = self.read_file(options)
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
