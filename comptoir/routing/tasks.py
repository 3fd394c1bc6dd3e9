"""Task entry points of routing: take ids or nothing, call one service, idempotent."""

from django_tasks import task

from comptoir.routing import services


@task()
def assign_queued_conversations_task() -> int:
    return services.assign_queued_conversations()
