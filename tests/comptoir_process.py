"""Run Comptoir's own commands as real processes, on a throwaway database of their own.

A test that kills a process (crash after 250) or starts `comptoir serve` cannot share the
test database pytest-django holds open, so it gets its own: a SQLite file in tmp_path, or,
when the suite runs on PostgreSQL, a fresh database on the same server.
"""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import pytest

COMPTOIR = str(Path(sys.executable).with_name("comptoir"))


@dataclass
class ComptoirProcesses:
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [COMPTOIR, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [COMPTOIR, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )

    def evaluate(self, expression: str):  # noqa: ANN201 (any JSON value)
        """Evaluate a Python expression inside Comptoir (Django set up) and return its value."""
        code = f"import json; print(json.dumps({expression}))"
        result = self.run("shell", "-c", code)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])


def throwaway_postgres_database(url: str) -> tuple[str, str]:
    """Create an empty database beside the one in `url`; return its URL and name."""
    import psycopg

    config = dj_database_url.parse(url)
    name = f"comptoir_proc_{uuid.uuid4().hex[:10]}"
    admin = f"postgresql://{config['USER'] or 'postgres'}@{config['HOST']}:{config['PORT'] or 5432}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin, name


def drop_postgres_database(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def comptoir_processes(tmp_path) -> Iterator[ComptoirProcesses]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    # The children run the code under test, whichever checkout the console script points to.
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    env["COMPTOIR_DATA_DIR"] = str(tmp_path / "data")
    env["COMPTOIR_SECRET_KEY"] = "test-only-secret-key-for-child-processes"
    env["COMPTOIR_SUPPORT_ADDRESS"] = "support@shop.example"
    env["COMPTOIR_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    url = os.environ.get("DATABASE_URL", "")
    created = None
    if url.startswith(("postgres://", "postgresql://")):
        admin, name = throwaway_postgres_database(url)
        config = dj_database_url.parse(url)
        env["DATABASE_URL"] = (
            f"postgres://{config['USER'] or 'postgres'}@{config['HOST']}:{config['PORT'] or 5432}/{name}"
        )
        created = (admin, name)
    else:
        env.pop("DATABASE_URL", None)
    processes = ComptoirProcesses(env)
    migrated = processes.run("migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    try:
        yield processes
    finally:
        if created:
            drop_postgres_database(*created)
