"""Task entry points of SLA: thin, idempotent, the database holds the work."""

from django_tasks import task

from comptoir.sla import services


@task()
def check_sla_deadlines_task() -> int:
    return services.check_deadlines()
