"""Reprocessing an inbound email after a fix (the admin's "Reprocess" action)."""

import logging

from django.db import transaction
from django.db.models import F

from comptoir.agents.models import Agent
from comptoir.conversations import services as conversations
from comptoir.conversations.models import Message
from comptoir.mail.inbound import process_inbound_email
from comptoir.mail.models import InboundEmail

logger = logging.getLogger(__name__)

Status = InboundEmail.Status


def reprocess_inbound_email(inbound_id: int, *, agent: Agent | None) -> str:
    """Process a received or failed email again; return "processed", "failed" or "skipped".

    A received one goes the way the sweep would take it; a failed one is retried with
    retry_failed_inbound_email. A processed one is left alone, as process_inbound_email would.
    """
    status = status_of(inbound_id)
    if status == Status.RECEIVED:
        try:
            process_inbound_email(inbound_id)
        except Exception:
            # Not even kept flagged: it stays received, for the sweep; one bad email must
            # not turn the whole action into an error page.
            logger.exception("inbound email %s could not be reprocessed", inbound_id)
    elif status == Status.FAILED:
        retry_failed_inbound_email(inbound_id, agent=agent)
    else:
        return "skipped"
    return "processed" if status_of(inbound_id) == Status.PROCESSED else "failed"


def status_of(inbound_id: int) -> str | None:
    return InboundEmail.objects.filter(pk=inbound_id).values_list("status", flat=True).first()


class StillFailing(Exception):
    pass


def retry_failed_inbound_email(inbound_id: int, *, agent: Agent | None) -> bool:
    """Process a failed email again, after a fix; say whether it is now processed.

    A failed email already sits, raw, in a flagged "unreadable email" conversation, whose
    message holds it through a one-to-one link: reprocessing it as is would always fail on that
    link. So the link is moved to the new message, in one transaction that is undone whole if
    the email fails again, lest every retry open one more flagged conversation.
    """
    placeholder = (
        Message.objects.filter(raw_email_id=inbound_id).select_related("conversation").first()
    )
    try:
        with transaction.atomic():
            # Conditional, so that two admins retrying at once do not both process it.
            reset = InboundEmail.objects.filter(pk=inbound_id, status=Status.FAILED)
            if reset.update(status=Status.RECEIVED) != 1:
                return False
            Message.objects.filter(raw_email_id=inbound_id).update(raw_email=None)
            message = process_inbound_email(inbound_id)
            inbound = InboundEmail.objects.get(pk=inbound_id)
            # No message and processed: a bounce report, recorded as such.
            if inbound.status != Status.PROCESSED:
                raise StillFailing(inbound.error)
            if placeholder is not None and agent is not None and message is not None:
                conversations.add_note(
                    conversation=placeholder.conversation,
                    agent=agent,
                    text=f"Email reprocessed: it is now in conversation "
                    f"{message.conversation.reference}.",
                )
    except Exception as failure:  # StillFailing, or a failure even to keep it flagged
        error = failure.args[0] if isinstance(failure, StillFailing) else repr_error(failure)
        InboundEmail.objects.filter(pk=inbound_id).update(error=error, attempts=F("attempts") + 1)
        logger.warning("inbound email %s still fails: %s", inbound_id, error, exc_info=True)
        return False
    return True


def repr_error(error: Exception) -> str:
    # The same form as inbound.py's own errors.
    return f"{type(error).__name__}: {error}"
