"""Time django-helpdesk's email import (helpdesk.email.extract_email_metadata) on the same
messages. Run by run.py inside the peer's own virtualenv; prints JSON."""

import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import django
from django.conf import settings

DATA = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    SITE_ID=1,
    INSTALLED_APPS=[
        "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
        "django.contrib.sessions", "django.contrib.messages", "django.contrib.sites",
        "django.contrib.humanize", "rest_framework", "helpdesk",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA / "helpdesk.sqlite3")}},
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    MEDIA_ROOT=str(DATA / "media"),
    USE_TZ=True,
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                "OPTIONS": {"context_processors": ["django.template.context_processors.request"]}}],
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    ROOT_URLCONF="peer_urls",
    LOGGING={"version": 1, "disable_existing_loggers": True},
    # Without pinax-teams, as django-helpdesk's docs describe for a standalone install.
    HELPDESK_TEAMS_MODEL="auth.User",
    HELPDESK_TEAMS_MIGRATION_DEPENDENCIES=[],
    HELPDESK_KBITEM_TEAM_GETTER=lambda _: None,
)
django.setup()

from django.core.management import call_command  # noqa: E402
from helpdesk.email import extract_email_metadata  # noqa: E402
from helpdesk.models import FollowUp, Queue, Ticket  # noqa: E402


def main() -> None:
    directory = Path(sys.argv[1])
    messages = [p.read_bytes().decode("utf-8", "replace") for p in sorted(directory.glob("*.eml"))]
    call_command("migrate", verbosity=0)
    queue = Queue.objects.create(title="Support", slug="support", email_address="support@maison-lumiere.fr")
    logger = logging.getLogger("bench")
    logger.disabled = True
    failed = 0
    started = time.perf_counter()
    for message in messages:
        try:
            extract_email_metadata(message, queue, logger)
        except Exception as error:
            failed += 1
            if failed == 1:
                print(f"first failure: {type(error).__name__}: {error}", file=sys.stderr)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "messages": len(messages), "seconds": seconds, "rate": len(messages) / seconds,
        "conversations": Ticket.objects.count(), "stored": FollowUp.objects.count(),
        "failed": failed,
    }))


if __name__ == "__main__":
    main()
