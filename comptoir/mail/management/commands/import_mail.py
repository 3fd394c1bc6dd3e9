"""`comptoir import-mail PATH… [--json]`: import emails from files; see mail/importing.py."""

import json
from pathlib import Path
from typing import cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.mail.importing import ImportReport, import_emails


class Command(BaseCommand):
    help = (
        "Import emails from .eml files, Maildirs, mbox files or folders of them (walked "
        "recursively, hidden files skipped). An email already stored (same Message-ID or same "
        "content) is counted as already known, so importing twice creates nothing new. "
        "Exit status: 0 when every file was read; 1 when some could not be read (the others "
        "are imported, the unreadable ones are listed); 2 when a PATH does not exist (nothing "
        "is imported)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths", nargs="+", metavar="PATH", help=".eml file, Maildir, mbox file or folder"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: object, **options: object) -> None:
        paths = [Path(path) for path in cast(list[str], options["paths"])]
        # Check every path first: a typo in the last one should not leave half an import.
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            raise CommandError(f"no such file or directory: {', '.join(missing)}", returncode=2)
        report = import_emails(paths=paths)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
        else:
            self.write_summary(report)
        if report.unreadable:
            raise CommandError(
                f"{len(report.unreadable)} file(s) or message(s) could not be read", returncode=1
            )

    def write_summary(self, report: ImportReport) -> None:
        self.stdout.write(report.summary())
        for file in report.unreadable:
            self.stderr.write(f"unreadable: {file.path}: {file.error}")
