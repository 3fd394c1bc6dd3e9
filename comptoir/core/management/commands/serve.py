import os
import secrets
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

ROLES = {
    "web": ["web", "--host", "{host}", "--port", "{port}"],
    "worker": ["worker"],
    "mail-in": ["mail-in"],
}
# The demo sends for real into a local outbox, unless a real SMTP server is configured.
OUTBOX_ROLE = {"outbox": ["outbox"]}


def ensure_admin(stdout) -> None:  # type: ignore[no-untyped-def]
    """Create the first admin on a fresh database and print its login, once."""
    from comptoir.agents.models import Agent

    if Agent.objects.exists():
        return
    password = secrets.token_urlsafe(12)
    Agent.objects.create_superuser(
        username="admin", email="admin@comptoir.localhost", password=password, role="admin"
    )
    stdout.write("=" * 64)
    stdout.write("First start: an administrator was created. Note this password now,")
    stdout.write("it is shown only once.")
    stdout.write("    login:    admin")
    stdout.write(f"    password: {password}")
    stdout.write("=" * 64)


class Command(BaseCommand):
    help = "Run every role (web, worker, mail-in) in one process group on the embedded default."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo", action="store_true", help="load the French demo company")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: object, demo: bool, host: str, port: int, **options: object) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        ensure_admin(self.stdout)
        if demo:
            call_command("load_demo")
        self.stdout.write(f"Comptoir: data in {settings.DATA_DIR}")
        self.stdout.write(f"  web      http://{host}:{port}/")
        self.stdout.write(
            f"  mail-in  smtp://{settings.COMPTOIR_MAIL_IN_HOST}:{settings.COMPTOIR_MAIL_IN_PORT}"
        )
        roles, env = dict(ROLES), os.environ.copy()
        if demo and not os.environ.get("COMPTOIR_SMTP_HOST"):
            roles.update(OUTBOX_ROLE)
            env["COMPTOIR_SMTP_HOST"] = "127.0.0.1"
            env["COMPTOIR_SMTP_PORT"] = str(settings.COMPTOIR_OUTBOX_PORT)
            self.stdout.write(
                f"  outbox   smtp://127.0.0.1:{settings.COMPTOIR_OUTBOX_PORT} → "
                f"{settings.DATA_DIR / 'outbox' / 'new'} (what Comptoir sends)"
            )
        self.run_roles(host, port, roles, env)

    def run_roles(
        self, host: str, port: int, roles: dict[str, list[str]], env: dict[str, str]
    ) -> None:
        children = {
            role: subprocess.Popen(
                [sys.executable, "-m", "comptoir.cli"]
                + [part.format(host=host, port=port) for part in argv],
                env=env,
            )
            for role, argv in roles.items()
        }

        def stop(*_: object) -> None:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
        finally:
            stop()
            for child in children.values():
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [role for role, child in children.items() if child.returncode not in (0, -15)]
        if failed:
            raise SystemExit(f"stopped because a role ended: {', '.join(failed)}")
