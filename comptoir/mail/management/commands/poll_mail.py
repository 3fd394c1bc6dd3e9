"""`comptoir poll-mail [--mailbox NAME]`: poll the IMAP mailboxes once and say how it went.

The worker polls on its own; this is for operators checking a new mailbox or a failure.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.mail import imap_polling
from comptoir.mail.models import Mailbox


class Command(BaseCommand):
    help = "Poll the active IMAP mailboxes once (or the one named) and print a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mailbox",
            metavar="NAME",
            dest="name",
            help="poll only this mailbox, even if inactive (to try it before activating it)",
        )

    def handle(self, *args: object, name: str | None, **options: object) -> None:
        mailboxes = selected_mailboxes(name)
        if not mailboxes:
            self.stdout.write("No active IMAP mailbox.")
            return
        total, failed = 0, []
        for mailbox in mailboxes:
            ingested = imap_polling.poll_mailbox(mailbox)
            total += ingested
            if mailbox.last_error:
                failed.append(mailbox.name)
                self.stdout.write(f"{mailbox.name}: failed: {mailbox.last_error}")
            else:
                self.stdout.write(f"{mailbox.name}: {ingested} new message(s)")
        self.stdout.write(f"{total} new message(s) from {len(mailboxes)} mailbox(es).")
        if failed:
            # A non-zero exit lets a script or a monitoring probe notice the failure.
            raise CommandError(f"polling failed for: {', '.join(failed)}", returncode=1)


def selected_mailboxes(name: str | None) -> list[Mailbox]:
    if name is None:
        return list(Mailbox.objects.filter(is_active=True).order_by("name"))
    mailbox = Mailbox.objects.filter(name=name).first()
    if mailbox is None:
        raise CommandError(f"no IMAP mailbox named {name!r}", returncode=2)
    return [mailbox]
