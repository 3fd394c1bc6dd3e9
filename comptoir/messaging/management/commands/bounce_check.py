"""`comptoir bounce-check FILE [--json]`: say what an email that came back from a send is."""

import json

from comptoir.mail.management.email_file_command import EmailFileCommand
from comptoir.messaging.bounces import classify_message


class Command(EmailFileCommand):
    help = "Classify an email file: hard or soft bounce, complaint, auto-reply, or none."

    def handle(self, *args: object, **options: object) -> None:
        _, raw = self.read_file(options)
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
