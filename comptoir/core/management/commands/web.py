import uvicorn
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web role: the ASGI application (agent UI, public pages, API)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args: object, host: str, port: int, workers: int, **options: object) -> None:
        uvicorn.run(
            "comptoir.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            lifespan="off",
        )
