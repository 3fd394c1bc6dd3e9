"""Task entry points of sorting: thin, idempotent, the database holds the work."""

from django_tasks import task

from comptoir.conversations.models import Conversation
from comptoir.sorting import services


@task()
def classify_conversation_task(conversation_id: int) -> None:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is not None:
        services.classify_conversation(conversation)


@task()
def classify_pending_conversations_task() -> int:
    return services.classify_pending_conversations()


@task()
def retrain_classifier_task() -> int:
    return services.retrain().version
