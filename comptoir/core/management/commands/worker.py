import logging
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

logger = logging.getLogger("comptoir.worker")


def periodic_jobs() -> list[tuple[int, object]]:
    """Return (period in seconds, task) pairs the worker's clock enqueues."""
    from comptoir.campaigns.tasks import advance_sending_campaigns_task
    from comptoir.mail.tasks import poll_mailboxes_task, process_pending_inbound_emails_task
    from comptoir.messaging.tasks import (
        release_held_deliveries_task,
        send_due_deliveries_task,
    )
    from comptoir.privacy.tasks import apply_retention_rules_task
    from comptoir.routing.tasks import assign_queued_conversations_task
    from comptoir.sla.tasks import check_sla_deadlines_task
    from comptoir.sorting.tasks import classify_pending_conversations_task
    from comptoir.surveys.tasks import send_due_surveys_task

    return [
        (30, process_pending_inbound_emails_task),
        (30, send_due_deliveries_task),
        # Messages marketing pressure put off go out when the rule lets them.
        (60, release_held_deliveries_task),
        # Each sweep records what the campaigns' rates allowed since the last one.
        (10, advance_sending_campaigns_task),
        (settings.COMPTOIR_IMAP_POLL_SECONDS, poll_mailboxes_task),
        (settings.COMPTOIR_SLA_CHECK_SECONDS, check_sla_deadlines_task),
        # Sorting classifies new conversations here rather than from mail.inbound: a sweep
        # also catches conversations from imports and from before the classifier existed.
        (30, classify_pending_conversations_task),
        (24 * 3600, apply_retention_rules_task),
        (60, send_due_surveys_task),
        # Conversations that came while nobody was online go out as agents come back.
        (60, assign_queued_conversations_task),
    ]


def run_clock(stop: threading.Event) -> None:
    """Enqueue periodic tasks. Several workers may each enqueue them: every task is idempotent
    and reads its work from the database, so a duplicate only costs a query."""
    last_run: dict[int, float] = {}
    jobs = periodic_jobs()
    while not stop.is_set():
        now = time.monotonic()
        for index, (period, job) in enumerate(jobs):
            if now - last_run.get(index, 0.0) >= period:
                try:
                    job.enqueue()  # type: ignore[attr-defined]
                except Exception:
                    logger.exception("could not enqueue %s", job)
                last_run[index] = now
        close_old_connections()
        stop.wait(1.0)


class Command(BaseCommand):
    help = "Run the worker role: background tasks and the timers that schedule them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-clock", action="store_true", help="run tasks only, no timers")

    def handle(self, *args: object, no_clock: bool, **options: object) -> None:
        stop = threading.Event()
        if not no_clock:
            threading.Thread(target=run_clock, args=(stop,), daemon=True, name="clock").start()
        try:
            call_command("db_worker", interval=0.5, no_startup_delay=True)
        finally:
            stop.set()
