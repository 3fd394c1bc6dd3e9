"""State changes of collaboration: notifying mentioned agents, marking notifications read."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from comptoir.agents.models import Agent
from comptoir.collaboration import mentions, queries
from comptoir.collaboration.models import Notification
from comptoir.conversations.models import Message

logger = logging.getLogger(__name__)


@transaction.atomic
def notify_mentions(*, note: Message) -> list[Notification]:
    """Notify the agents an internal note mentions, and email them once it is committed.

    The author is not notified of their own note, and an agent who may not open the
    conversation (an outsourced team) is not told it exists.
    """
    if note.direction != Message.Direction.INTERNAL:
        return []
    notifications = []
    for agent in mentions.mentioned_agents(note.text):
        if agent.pk == note.author_id:
            continue
        if not queries.may_open_conversation(agent, note.conversation_id):
            continue
        notification, created = Notification.objects.get_or_create(
            recipient=agent,
            message=note,
            kind=Notification.Kind.MENTION,
            defaults={"conversation_id": note.conversation_id, "actor_id": note.author_id},
        )
        if created:
            notifications.append(notification)
    if notifications:
        from comptoir.collaboration.tasks import email_notification_task

        ids = [notification.pk for notification in notifications]

        def enqueue_emails() -> None:
            for pk in ids:
                email_notification_task.enqueue(pk)

        transaction.on_commit(enqueue_emails)
    return notifications


def mark_notification_read(*, notification: Notification) -> None:
    """Mark one notification read (opening it does this)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def mark_all_notifications_read(*, agent: Agent) -> int:
    """Mark every unread notification of the agent read; return how many."""
    return Notification.objects.filter(recipient=agent, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def email_notification(*, notification_id: int) -> bool:
    """Email a notification to its agent, once; return whether it was sent.

    An internal message to a colleague, not to a customer: like the SLA alerts, it goes
    through Django's email backend, not the delivery dispatcher. The claim (a conditional
    UPDATE of emailed_at) makes a repeated task send nothing.
    """
    notification = (
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True)
        .select_related("recipient", "actor", "conversation", "message")
        .first()
    )
    if notification is None or not notification.recipient.email:
        return False
    if notification.read_at is not None:
        return False  # already seen in the interface: an email would only be noise
    claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if claimed != 1:
        return False
    subject, body = mention_email_text(notification)
    try:
        send_mail(subject, body, settings.COMPTOIR_SUPPORT_ADDRESS, [notification.recipient.email])
    except Exception:
        logger.exception("Notification %s could not be emailed", notification.pk)
        Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
        return False
    return True


def mention_email_text(notification: Notification) -> tuple[str, str]:
    conversation = notification.conversation
    # Through the notification, so that following the link marks it read, as in the list.
    url = settings.PUBLIC_URL + reverse("collaboration:open_notification", args=[notification.pk])
    with translation.override(settings.LANGUAGE_CODE):
        actor = str(notification.actor) if notification.actor else gettext("A colleague")
        subject = gettext("%(actor)s mentioned you: %(reference)s %(subject)s") % {
            "actor": actor,
            "reference": conversation.reference,
            "subject": conversation.subject,
        }
        body = gettext("%(actor)s mentioned you in an internal note:\n\n%(note)s\n\n%(url)s\n") % {
            "actor": actor,
            "note": notification.message.text,
            "url": url,
        }
    return subject[:200].replace("\n", " "), body
