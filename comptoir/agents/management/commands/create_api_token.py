"""`comptoir create-api-token NAME --scope customers:read …`: print a new API token once."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.agents.models import ApiToken
from comptoir.agents.tokens import UnknownScope, create_api_token


class Command(BaseCommand):
    help = "Create a token for the JSON API and print it; it cannot be shown again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who uses it, e.g. 'boutique en ligne'")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=ApiToken.Scope.values,
            help="what the token may do; repeat for several",
        )

    def handle(self, *args: object, **options: object) -> None:
        scopes = list(options["scope"])  # type: ignore[call-overload]
        try:
            created = create_api_token(name=str(options["name"]), scopes=scopes)
        except UnknownScope as error:
            raise CommandError(str(error), returncode=2)
        self.stderr.write(
            f"Token '{created.token.name}' with scopes {', '.join(created.token.scopes)}. "
            "Copy it now: it is stored hashed and cannot be shown again."
        )
        self.stdout.write(created.secret)
