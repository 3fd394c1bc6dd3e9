"""`comptoir import-customers FILE [--dry-run] [--json]`: create customer records from a file."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.customers.importing import ImportFileError, ImportReport, import_customers

# A terminal shows the first errors; --json gives them all.
SHOWN_ERRORS = 200


class Command(BaseCommand):
    help = (
        "Import customers from a CSV or XLSX file. Every row is checked first; if any row is "
        "bad, nothing is imported and every bad row is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv (comma or semicolon) or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        started = time.perf_counter()
        try:
            with path.open("rb") as stream:
                report = import_customers(
                    stream, filename=path.name, dry_run=bool(options["dry_run"])
                )
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}", returncode=2)
        except ImportFileError as error:
            raise CommandError(f"{path}: {error}", returncode=2)
        seconds = time.perf_counter() - started
        if options["json"]:
            self.stdout.write(json.dumps({**report.as_json(), "seconds": round(seconds, 2)}))
        else:
            self.print_report(report, seconds)
        if not report.ok:
            raise CommandError("the file has errors: nothing was imported", returncode=1)

    def print_report(self, report: ImportReport, seconds: float) -> None:
        for error in report.errors[:SHOWN_ERRORS]:
            where = f"row {error.row}" + (f", column {error.column}" if error.column else "")
            self.stdout.write(f"{where}: {error.message}")
        if len(report.errors) > SHOWN_ERRORS:
            self.stdout.write(f"… and {len(report.errors) - SHOWN_ERRORS} more (see --json)")
        if not report.ok:
            self.stdout.write(
                f"{report.rows} rows, {report.bad_rows} with errors: nothing imported."
            )
        elif report.dry_run:
            self.stdout.write(f"{report.rows} rows, all valid (dry run: nothing imported).")
        else:
            self.stdout.write(f"{report.created} customers imported in {seconds:.1f} s.")
