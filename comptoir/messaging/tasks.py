"""Task entry points: they only wake the dispatcher, which reads its work from the database."""

from django_tasks import task

from comptoir.messaging import dispatch, sending


@task()
def send_delivery_task(delivery_id: int) -> str:
    return dispatch.send_delivery(delivery_id)


@task()
def send_due_deliveries_task() -> int:
    return dispatch.send_due_deliveries()


@task()
def release_held_deliveries_task() -> int:
    return sending.release_held_deliveries()


@task()
def send_deliveries_task(delivery_ids: list[int]) -> dict[str, int]:
    return dispatch.send_deliveries(delivery_ids)
