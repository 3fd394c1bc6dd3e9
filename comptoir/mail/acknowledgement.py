"""The automatic acknowledgement of a new conversation, and the guards against mail loops.

An automatic answer is never sent to automatic mail (RFC 3834 Auto-Submitted, Precedence
bulk/list/junk, mailer-daemon senders: the parser sets `auto_submitted` for all of them), and
at most COMPTOIR_AUTOREPLY_PER_SENDER_PER_HOUR times an hour to one sender, so that two
robots answering each other stop after a few rounds.

The delay it states is a forecast (`sla.forecast`): the team's backlog over its recent
answer rate, in its business hours. A customer told "within two hours" plans around it.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from comptoir.conversations import services as conversations
from comptoir.conversations.models import Conversation, Message
from comptoir.mail.models import AutoReplyLog
from comptoir.mail.parsing import ParsedEmail
from comptoir.sla import forecast

ACKNOWLEDGEMENT_TEXT = {
    "fr": (
        "Bonjour{name},\n\n"
        "Nous avons bien reçu votre message. Au vu des demandes en cours, nous vous "
        "répondrons {delay}.\n"
        "Pour compléter votre demande, répondez simplement à cet email : votre réponse "
        "rejoindra votre dossier {reference}.\n\n"
        "Bien cordialement,\n{team}"
    ),
    "en": (
        "Hello{name},\n\n"
        "We have received your message. Given the requests we are handling, we expect to "
        "answer you {delay}.\n"
        "To add to your request, simply reply to this email: your answer will join "
        "your file {reference}.\n\n"
        "Kind regards,\n{team}"
    ),
}


def may_auto_reply(address: str) -> bool:
    """Say whether one more automatic answer to this address stays under the rate limit."""
    since = timezone.now() - timedelta(hours=1)
    recent = AutoReplyLog.objects.filter(address=address.lower(), sent_at__gte=since).count()
    return recent < settings.COMPTOIR_AUTOREPLY_PER_SENDER_PER_HOUR


def expected_delay_text(conversation: Conversation, language: str) -> str:
    """Say when the team expects to answer, e.g. "dans environ 3 heures"."""
    now = timezone.now()
    expected_at = forecast.expected_first_response_at(conversation.team, now)
    return forecast.describe_expected_response(now, expected_at, language)


def acknowledge_new_conversation(*, message: Message, parsed: ParsedEmail) -> Message | None:
    """Send the acknowledgement of a new conversation, unless that could feed a mail loop."""
    if not settings.COMPTOIR_ACKNOWLEDGE_NEW_CONVERSATIONS:
        return None
    if parsed.auto_submitted or not parsed.from_address:
        return None
    if not may_auto_reply(parsed.from_address):
        conversations.flag_conversation(
            conversation=message.conversation,
            reason="Possible mail loop: too many automatic answers to this sender",
        )
        return None
    language = "en" if parsed.language == "en" else "fr"
    first_name = message.conversation.customer.first_name
    text = ACKNOWLEDGEMENT_TEXT[language].format(
        name=f" {first_name}" if first_name else "",
        delay=expected_delay_text(message.conversation, language),
        reference=message.conversation.reference,
        team=settings.COMPTOIR_SUPPORT_NAME,
    )
    AutoReplyLog.objects.create(address=parsed.from_address.lower())
    return conversations.send_email_message(
        conversation=message.conversation,
        text=text,
        author=None,
        auto_submitted=True,
        answering=message,
    )
