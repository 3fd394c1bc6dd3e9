"""Task entry points of data protection: thin, idempotent, the database holds the work."""

from django_tasks import task

from comptoir.privacy import retention


@task()
def apply_retention_rules_task() -> int:
    return retention.apply_retention_rules()
