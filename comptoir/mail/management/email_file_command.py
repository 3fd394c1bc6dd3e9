"""The base of the commands that read one email file: parse-mail, classify, bounce-check,
lint-message. FILE and --json, and an unreadable file answered with exit status 2."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser


class EmailFileCommand(BaseCommand):
    file_help = "path to a raw email (.eml)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=self.file_help)
        parser.add_argument("--json", action="store_true", help="print JSON")

    def read_file(self, options: dict[str, object]) -> tuple[Path, bytes]:
        path = Path(str(options["file"]))
        try:
            return path, path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror or error}", returncode=2)
