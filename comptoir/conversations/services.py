"""State changes of conversations: every change an agent or a channel makes goes through here."""

from datetime import datetime, timedelta
from email.utils import make_msgid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.collaboration import services as collaboration
from comptoir.conversations.models import (
    CallbackRequest,
    Conversation,
    ConversationEvent,
    Message,
)
from comptoir.customers.identities import InvalidIdentity, normalise_phone
from comptoir.customers.models import Customer, Identity
from comptoir.messaging import services as messaging
from comptoir.messaging.quality_gate import REPLY, Draft, Finding, check_message
from comptoir.sla import services as sla
from comptoir.teams.models import Team

# A closed conversation is archived: a new message about it starts a fresh one. A resolved
# one is reopened, because the customer is telling us it is not solved.
REOPENED_BY_CUSTOMER = {
    Conversation.Status.WAITING,
    Conversation.Status.RESOLVED,
}


class ConversationError(Exception):
    """A change that cannot be made; the message is shown to the agent."""


Event = ConversationEvent.Kind


def record_event(
    *,
    conversation: Conversation,
    kind: str,
    actor: Agent | None = None,
    at: datetime | None = None,
    **data: object,
) -> ConversationEvent:
    """Append one entry to the conversation's audit trail. `data` holds no personal data."""
    return ConversationEvent.objects.create(
        conversation=conversation, kind=kind, actor=actor, at=at or timezone.now(), data=data
    )


def record_viewed(*, conversation: Conversation, agent: Agent) -> None:
    """Note that an agent opened the conversation, once per agent in a quarter of an hour."""
    now = timezone.now()
    seen_recently = ConversationEvent.objects.filter(
        conversation=conversation, kind=Event.VIEWED, actor=agent, at__gte=now - VIEW_WINDOW
    ).exists()
    if not seen_recently:
        record_event(conversation=conversation, kind=Event.VIEWED, actor=agent, at=now)


# A conversation open in two tabs, or reloaded, is one look: the trail stays readable.
VIEW_WINDOW = timedelta(minutes=15)


def open_conversation(
    *, customer: Customer, subject: str, channel: str = Conversation.Channel.EMAIL
) -> Conversation:
    """Start a new conversation for a customer, in the default team, with its due times."""
    now = timezone.now()
    conversation = Conversation(
        customer=customer, subject=subject[:998], channel=channel, last_message_at=now
    )
    sla.set_due_times([conversation], now=now)
    conversation.save(force_insert=True)
    return conversation


def add_inbound_message(*, conversation: Conversation, **fields: object) -> Message:
    """Record a customer's message in a conversation and reopen it if it was waiting."""
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.INBOUND,
        customer=conversation.customer,
        **fields,
    )
    if note_customer_activity(conversation, at=message.created_at):
        record_event(conversation=conversation, kind=Event.REOPENED, at=message.created_at)
    # Reopened by the customer: the clock runs again from now.
    sla.sync_clock(conversation, now=message.created_at)
    conversation.save(
        update_fields=["last_message_at", "status", "resolved_at", "updated_at", *sla.CLOCK_FIELDS]
    )
    return message


def note_customer_activity(conversation: Conversation, *, at: datetime) -> bool:
    """A customer wrote: reopen the conversation if it was waiting or resolved (not saved).

    Return True when a resolved conversation was reopened: the caller records the event
    (the reopen rate counts them). The caller restarts the SLA clock with the rest of its
    batch (`sla.sync_clock` for one conversation, `sla.update_clocks_for_inbound` for a batch).
    """
    reopened = conversation.status == Conversation.Status.RESOLVED
    if conversation.status in REOPENED_BY_CUSTOMER:
        conversation.status = Conversation.Status.OPEN
        conversation.resolved_at = None
    conversation.last_message_at = max(filter(None, [conversation.last_message_at, at]))
    return reopened


def flag_conversation(*, conversation: Conversation, reason: str) -> None:
    """Mark a conversation for a human look (unreadable email, suspected loop…)."""
    conversation.needs_attention = True
    conversation.attention_reason = reason[:200]
    conversation.save(update_fields=["needs_attention", "attention_reason", "updated_at"])


def reply_subject(conversation: Conversation) -> str:
    subject = conversation.subject or ""
    if conversation.reference not in subject:
        subject = f"{subject} {conversation.reference}".strip()
    if not subject.lower().startswith(("re:", "re :")):
        subject = f"Re: {subject}"
    return subject


def customer_email_for_reply(conversation: Conversation) -> str:
    """Return where to answer: the Reply-To or sender of the last customer email."""
    last_inbound = (
        conversation.messages.filter(direction=Message.Direction.INBOUND)
        .exclude(from_address="")
        .order_by("-created_at", "-pk")
        .first()
    )
    if last_inbound:
        return (last_inbound.reply_to or [last_inbound.from_address])[0]
    identity = conversation.customer.identities.filter(kind=Identity.Kind.EMAIL).first()
    if identity is None:
        raise ConversationError("This customer has no email address to answer to.")
    return identity.value


def thread_headers(conversation: Conversation) -> tuple[str, list[str]]:
    """Return In-Reply-To and References for a new outbound message in this conversation.

    In-Reply-To names the customer's latest email (what we answer); References lists the
    whole exchange so that any mail client threads it, whichever message it saw.
    """
    exchanged = list(
        conversation.messages.exclude(direction=Message.Direction.INTERNAL)
        .exclude(message_id="")
        .order_by("created_at", "pk")
        .values_list("direction", "message_id")
    )
    if not exchanged:
        return "", []
    inbound = [mid for direction, mid in exchanged if direction == Message.Direction.INBOUND]
    in_reply_to = inbound[-1] if inbound else exchanged[-1][1]
    references = [mid for _, mid in exchanged]
    # RFC 5322 suggests keeping the first and the latest ones when the list grows long.
    if len(references) > 20:
        references = references[:1] + references[-19:]
    return in_reply_to, references


def new_message_id() -> str:
    domain = settings.COMPTOIR_SUPPORT_ADDRESS.partition("@")[2] or "comptoir.localhost"
    return make_msgid(domain=domain).strip("<>")


def send_email_message(
    *,
    conversation: Conversation,
    text: str,
    author: Agent | None,
    auto_submitted: bool = False,
    answering: Message | None = None,
) -> Message:
    """Create an outbound email in a conversation and queue its delivery.

    `answering` names the customer message this one answers when the caller has it at hand
    (the acknowledgement of a new conversation); otherwise it is looked up.
    """
    if answering is not None:
        recipient = (answering.reply_to or [answering.from_address])[0]
        in_reply_to, references = (
            answering.message_id,
            [*answering.references, answering.message_id],
        )
    else:
        recipient = customer_email_for_reply(conversation)
        in_reply_to, references = thread_headers(conversation)
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        author=author,
        customer=conversation.customer,
        subject=reply_subject(conversation),
        from_address=settings.COMPTOIR_SUPPORT_ADDRESS,
        from_name=settings.COMPTOIR_SUPPORT_NAME,
        to=[recipient],
        message_id=new_message_id(),
        in_reply_to=in_reply_to,
        references=references,
        text=text,
        auto_submitted=auto_submitted,
    )
    messaging.queue_delivery(message=message, recipient=recipient)
    return message


@transaction.atomic
def reply_to_conversation(*, conversation: Conversation, agent: Agent, text: str) -> Message:
    """Send an agent's answer to the customer; the conversation then waits on the customer."""
    if not text.strip():
        raise ConversationError("The reply is empty.")
    message = send_email_message(conversation=conversation, text=text, author=agent)
    now = timezone.now()
    conversation.status = Conversation.Status.WAITING
    conversation.last_message_at = now
    if conversation.first_response_at is None:
        conversation.first_response_at = now
    if conversation.assignee_id is None:
        conversation.assignee = agent
    sla.sync_clock(conversation, now=now)  # the customer's turn: the clock pauses
    conversation.save()
    record_event(
        conversation=conversation, kind=Event.REPLIED, actor=agent, at=now, message=message.pk
    )
    return message


def check_reply_text(*, text: str) -> list[Finding]:
    """The quality gate on an agent's reply as it will leave: an email from the team's
    address (a logged phone, letter or fax conversation is answered by email too)."""
    return check_message(
        Draft(
            channel="email",
            kind=REPLY,
            text=text,
            from_address=settings.COMPTOIR_SUPPORT_ADDRESS,
        )
    )


def add_note(*, conversation: Conversation, agent: Agent, text: str) -> Message:
    """Add an internal note, seen by agents only."""
    if not text.strip():
        raise ConversationError("The note is empty.")
    note = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.INTERNAL,
        author=agent,
        text=text,
    )
    record_event(conversation=conversation, kind=Event.NOTE_ADDED, actor=agent, message=note.pk)
    collaboration.notify_mentions(note=note)
    return note


# Contacts an agent logs by hand: they happened outside Comptoir, so nothing is sent.
LOGGED_CHANNELS = {
    Conversation.Channel.PHONE,
    Conversation.Channel.LETTER,
    Conversation.Channel.FAX,
}
LOGGED_DIRECTIONS = {Message.Direction.INBOUND, Message.Direction.OUTBOUND}


def is_answer(*, channel: str, direction: str) -> bool:
    """Whether a logged contact answers the customer, for the first-response SLA.

    A call the agent took is answered live, whoever dialled; a letter or fax from the
    customer is only the customer writing again.
    """
    return direction == Message.Direction.OUTBOUND or channel == Conversation.Channel.PHONE


@transaction.atomic
def log_contact(
    *,
    conversation: Conversation,
    agent: Agent,
    channel: str,
    direction: str,
    summary: str,
    occurred_at: datetime | None = None,
) -> Message:
    """Record a phone call, letter or fax that happened outside Comptoir; nothing is sent.

    An answer (a call, or anything outbound) counts as the first response; a letter or fax
    from the customer reopens a waiting conversation, like an inbound email.
    """
    if channel not in LOGGED_CHANNELS:
        raise ConversationError("This channel cannot be logged by hand.")
    if direction not in LOGGED_DIRECTIONS:
        raise ConversationError("A logged contact is either from or to the customer.")
    if not summary.strip():
        raise ConversationError("The summary is empty.")
    now = timezone.now()
    occurred_at = min(occurred_at or now, now)  # a contact cannot be logged in advance
    message = Message.objects.create(
        conversation=conversation,
        direction=direction,
        channel=channel,
        author=agent,
        customer=conversation.customer,
        text=summary,
        # When the contact happened, which the customer timeline sorts by.
        sent_at=occurred_at,
    )
    if direction == Message.Direction.INBOUND:
        if note_customer_activity(conversation, at=occurred_at):
            record_event(conversation=conversation, kind=Event.REOPENED, at=occurred_at)
    else:
        conversation.last_message_at = max(
            filter(None, [conversation.last_message_at, occurred_at])
        )
    if is_answer(channel=channel, direction=direction):
        if conversation.first_response_at is None:
            conversation.first_response_at = occurred_at
        if conversation.status == Conversation.Status.NEW:
            conversation.status = Conversation.Status.OPEN
        if conversation.assignee_id is None:
            conversation.assignee = agent
    sla.sync_clock(conversation, now=now)
    conversation.save()
    record_event(
        conversation=conversation,
        kind=Event.CONTACT_LOGGED,
        actor=agent,
        at=now,
        channel=channel,
        direction=direction,
    )
    return message


def request_callback(
    *,
    conversation: Conversation,
    agent: Agent,
    phone_number: str,
    due_at: datetime,
    team: Team | None = None,
    note: str = "",
) -> CallbackRequest:
    """Ask the phone team to call the customer back by a due time."""
    try:
        number = normalise_phone(phone_number)
    except InvalidIdentity as error:
        raise ConversationError("This phone number is not valid.") from error
    callback = CallbackRequest.objects.create(
        conversation=conversation,
        requested_by=agent,
        phone_number=number,
        due_at=due_at,
        team=team,
        note=note,
    )
    record_event(
        conversation=conversation, kind=Event.CALLBACK_REQUESTED, actor=agent, callback=callback.pk
    )
    return callback


def complete_callback(
    *, callback: CallbackRequest, agent: Agent, status: str = CallbackRequest.Status.DONE
) -> bool:
    """Close an open call-back request as done or cancelled; return False if already closed.

    The conditional update makes two agents clicking at once close it only once.
    """
    if status not in (CallbackRequest.Status.DONE, CallbackRequest.Status.CANCELLED):
        raise ConversationError(f"Unknown status: {status}")
    now = timezone.now()
    updated = CallbackRequest.objects.filter(
        pk=callback.pk, status=CallbackRequest.Status.OPEN
    ).update(status=status, done_by=agent, done_at=now, updated_at=now)
    if updated != 1:
        return False
    callback.status, callback.done_by, callback.done_at = status, agent, now
    return True


def assign_conversation(
    *, conversation: Conversation, assignee: Agent | None, by: Agent | None = None
) -> None:
    """Give the conversation to an agent, or back to the team with None.

    `by` is who decided: an agent, or None when a rule assigned it.
    """
    conversation.assignee = assignee
    if assignee and conversation.status == Conversation.Status.NEW:
        conversation.status = Conversation.Status.OPEN
    conversation.save(update_fields=["assignee", "status", "updated_at"])
    record_event(
        conversation=conversation,
        kind=Event.ASSIGNED,
        actor=by,
        assignee=assignee.pk if assignee else None,
    )


def change_status(*, conversation: Conversation, status: str, by: Agent | None = None) -> None:
    """Move the conversation to a new status (new, open, waiting, resolved, closed)."""
    if status not in Conversation.Status.values:
        raise ConversationError(f"Unknown status: {status}")
    previous = conversation.status
    if previous == status:
        return
    now = timezone.now()
    conversation.status = status
    if status == Conversation.Status.RESOLVED:
        conversation.resolved_at = now
    elif status != Conversation.Status.CLOSED:
        conversation.resolved_at = None
    # Waiting on the customer, resolved or closed pauses the SLA clock; new or open runs it.
    sla.sync_clock(conversation, now=now)
    conversation.save(update_fields=["status", "resolved_at", "updated_at", *sla.CLOCK_FIELDS])
    reopened = previous in (
        Conversation.Status.RESOLVED,
        Conversation.Status.CLOSED,
    ) and status in (
        Conversation.Status.NEW,
        Conversation.Status.OPEN,
    )
    record_event(
        conversation=conversation,
        kind=Event.REOPENED if reopened else Event.STATUS_CHANGED,
        actor=by,
        at=now,
        **{"from": previous, "to": status},
    )
    if status == Conversation.Status.RESOLVED:
        # Imported here: the survey app sends through this module. On commit: a rolled-back
        # resolution plans no survey.
        from comptoir.surveys.services import schedule_survey

        transaction.on_commit(lambda: schedule_survey(conversation_id=conversation.pk, by=by))
