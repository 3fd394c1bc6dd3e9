"""`comptoir bounce-check FILE [--json]`: say what an email that came back from a send is."""

import json

from comptoir.mail import verp
from comptoir.mail.management.email_file_command import EmailFileCommand
from comptoir.messaging.bounces import classify_message
from comptoir.messaging.queries import find_delivery_recipient


class Command(EmailFileCommand):
    help = "Classify an email file: hard or soft bounce, complaint, auto-reply, or none."

    def handle(self, *args: object, **options: object) -> None:
        _, raw = self.read_file(options)
        report = classify_message(raw)
        # A report sent to one of our bounce addresses names its delivery, hence its recipient.
        delivery_id = verp.delivery_id_from_email(raw)
        recipient = find_delivery_recipient(delivery_id) if delivery_id else None
        if recipient:
            report = report.sent_to(recipient)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
            return
        lines = [f"Kind:       {report.kind}", f"Bounce:     {'yes' if report.is_bounce else 'no'}"]
        for failure in report.failures:
            lines.append(f"Recipient:  {failure.address or '?'} {failure.kind} {failure.status}")
        for address in report.complainants:
            lines.append(f"Complaint:  {address}")
        self.stdout.write("\n".join(lines))
