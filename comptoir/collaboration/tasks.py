"""Task entry points of collaboration: thin, idempotent, the database holds the work."""

from django_tasks import task

from comptoir.collaboration import services


@task()
def email_notification_task(notification_id: int) -> bool:
    return services.email_notification(notification_id=notification_id)
