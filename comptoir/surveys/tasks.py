"""Task entry points of satisfaction surveys: thin, idempotent, the database holds the work."""

from django_tasks import task

from comptoir.surveys import services


@task()
def send_due_surveys_task() -> int:
    return services.send_due_surveys()


@task()
def alert_team_task(survey_id: int) -> bool:
    return services.alert_team(survey_id)
