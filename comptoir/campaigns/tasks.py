"""Task entry points: the worker's sweep moves sending campaigns on at their rate."""

from django_tasks import task

from comptoir.campaigns import services


@task()
def advance_sending_campaigns_task() -> int:
    return services.advance_sending_campaigns()
