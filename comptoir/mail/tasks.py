"""Task entry points of the email channel: thin, idempotent, the database holds the work."""

from django_tasks import task

from comptoir.mail import inbound


@task()
def process_inbound_email_task(inbound_id: int) -> None:
    inbound.process_inbound_email(inbound_id)


@task()
def process_pending_inbound_emails_task() -> int:
    return inbound.process_pending_inbound_emails()


@task()
def poll_mailboxes_task() -> int:
    from comptoir.mail import imap_polling

    return imap_polling.poll_all_mailboxes()
