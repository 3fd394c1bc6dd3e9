"""Shared test fixtures: the personas and a way to write raw emails."""

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def media_and_tasks(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Tasks run in the test process unless a test starts a real worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.COMPTOIR_SUPPORT_ADDRESS = "support@shop.example"
    yield


@pytest.fixture(scope="session", autouse=True)
def no_session_left_on_the_test_database(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the PostgreSQL sessions that server threads
    (uvicorn in a browser test, asgiref's executor) may still hold: otherwise the drop fails
    with "being accessed by other users" and the database stays behind."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def empty_cache():
    # The rate limits count in the cache: one test's POSTs must not spend another's.
    from django.core.cache import cache

    from comptoir.messaging.gate import VERDICTS

    cache.clear()
    # The gate keeps its verdict per template version id; test databases reuse ids.
    VERDICTS.clear()
    yield


@pytest.fixture
def agent(db):
    from comptoir.agents.models import Agent

    return Agent.objects.create_user(
        username="camille", password="motdepasse-agent-1", first_name="Camille", role="agent"
    )


@pytest.fixture
def admin_agent(db):
    from comptoir.agents.models import Agent

    return Agent.objects.create_user(
        username="dominique", password="motdepasse-admin-1", role="admin"
    )


def make_email(
    *,
    sender: str = "Jeanne Martin <jeanne.martin@example.fr>",
    to: str = "support@shop.example",
    subject: str = "Ma commande n'est pas arrivée",
    body: str = "Bonjour,\n\nJ'attends toujours ma commande 12345.\n\nJeanne",
    message_id: str | None = "<abc123@example.fr>",
    headers: dict[str, str] | None = None,
) -> bytes:
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    lines.append("Date: Mon, 23 Nov 2026 10:00:00 +0100")
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", ""]
    return ("\r\n".join(lines) + "\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()


__all__ = ["make_email", "override_settings"]


# Fixtures shared by several test folders.
from tests.browser_support import browser_page  # noqa: E402, F401
from tests.comptoir_process import comptoir_processes  # noqa: E402, F401


@pytest.fixture
def no_marketing_pressure(db):
    """A company without pressure rules: no quiet hours, caps or delay, a score never reached.

    Quiet hours and caps depend on the clock and on earlier sends; tests that are not about
    pressure (tests/consents/test_pressure.py is) must pass at any hour of any day.
    """
    from datetime import time

    from comptoir.consents.models import PressurePolicy
    from comptoir.consents.pressure import save_pressure_policy

    return save_pressure_policy(
        policy=PressurePolicy(
            caps=[{"type": "", "max": 1_000_000, "days": 1}],
            min_delay_hours=0,
            score_threshold=1_000_000,
            quiet_from=time(0, 0),
            quiet_until=time(0, 0),
            quiet_weekdays=[],
            quiet_on_public_holidays=False,
        )
    )


def wants_database(request) -> bool:
    return request.node.get_closest_marker("django_db") is not None or any(
        name in request.fixturenames for name in ("db", "transactional_db", "live_server")
    )
