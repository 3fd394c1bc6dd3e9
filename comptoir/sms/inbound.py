"""What Twilio tells us: SMS our customers send (STOP among them) and what became of ours.

A STOP request ("STOP", "Stop SMS", "ARRÊT"…) withdraws the customer's SMS marketing consent
and puts the number on the suppression list for marketing: the law (and the CNIL) asks that
an SMS answer stops prospecting, while the answers to the customer's own requests go on.
"""

import logging
import re
import unicodedata

from django.db import IntegrityError, transaction

from comptoir.consents.models import Channel, Source, Suppression
from comptoir.consents.services import Proof, suppress_address, withdraw_marketing
from comptoir.customers.identities import InvalidIdentity, normalise_phone
from comptoir.customers.models import Customer, Identity
from comptoir.messaging.models import Delivery
from comptoir.sms.models import InboundSms, SmsSend

logger = logging.getLogger(__name__)

# The first word of a STOP request, accents and case aside. Twilio's own English keywords
# (STOP, UNSUBSCRIBE, CANCEL, END, QUIT…) also come flagged as OptOutType=STOP.
STOP_WORDS = frozenset(
    {"STOP", "STOPSMS", "STOPALL", "ARRET", "ARRETER", "DESABONNER", "DESINSCRIRE", "UNSUBSCRIBE"}
)
# "STOP", "STOP SMS", "Stop merci" are requests; a longer sentence that starts with the
# word ("Stop, ma commande n'est pas arrivée et…") is a message for the service.
STOP_REQUEST_MAX_WORDS = 3
# Delivery errors that say the number itself is dead (Twilio error codes 30005 "Unknown
# destination handset", 30006 "Landline or unreachable carrier"): like an email's hard bounce.
DEAD_NUMBER_ERRORS = frozenset({"30005", "30006"})
# Twilio's final statuses of a message that did not reach the phone.
UNDELIVERED, FAILED = "undelivered", "failed"


def is_stop_request(body: str, opt_out_type: str = "") -> bool:
    """Say whether an SMS asks us to stop sending (Twilio's flag, or a French STOP word)."""
    if opt_out_type.strip().upper() == "STOP":
        return True
    unaccented = unicodedata.normalize("NFKD", body)
    letters = "".join(c for c in unaccented if not unicodedata.combining(c)).upper()
    words = re.findall(r"[A-Z0-9]+", letters)
    return bool(words) and words[0] in STOP_WORDS and len(words) <= STOP_REQUEST_MAX_WORDS


def phone_or_raw(number: str) -> str:
    try:
        return normalise_phone(number)
    except InvalidIdentity:
        return number.strip()


def customers_with_number(number: str) -> list[Customer]:
    return list(
        Customer.objects.filter(
            identities__kind=Identity.Kind.PHONE, identities__value=number
        ).distinct()
    )


def receive_sms(
    *, provider_sid: str, from_number: str, to_number: str, body: str, opt_out_type: str = ""
) -> InboundSms:
    """Record an SMS sent to us, once per provider id, and honour it if it says STOP."""
    existing = InboundSms.objects.filter(provider_sid=provider_sid).first()
    if existing is not None:
        return existing  # Twilio sends a webhook again when our first answer was lost.
    number = phone_or_raw(from_number)
    customers = customers_with_number(number)
    stop = is_stop_request(body, opt_out_type)
    try:
        with transaction.atomic():
            inbound = InboundSms.objects.create(
                provider_sid=provider_sid,
                from_number=number,
                to_number=phone_or_raw(to_number),
                body=body,
                kind=InboundSms.Kind.STOP if stop else InboundSms.Kind.MESSAGE,
                customer=customers[0] if customers else None,
            )
            if stop:
                honour_stop(inbound, customers)
    except IntegrityError:  # The same webhook, retried, processed by another request.
        return InboundSms.objects.get(provider_sid=provider_sid)
    return inbound


def honour_stop(inbound: InboundSms, customers: list[Customer]) -> None:
    """Stop SMS marketing to this number, whoever it belongs to."""
    suppress_address(
        value=inbound.from_number,
        channel=Channel.SMS,
        reason=Suppression.Reason.UNSUBSCRIBED,
        note=f"STOP reply (Twilio {inbound.provider_sid})",
    )
    # No "SMS reply" source in the ledger yet: a STOP answer is the customer's one-step
    # unsubscribe, and the evidence says which SMS it was.
    proof = Proof(
        source=Source.ONE_CLICK,
        evidence=f"SMS reply {inbound.body[:60]!r} from {inbound.from_number}"
        f" (Twilio {inbound.provider_sid})",
        collected_at=inbound.received_at,
    )
    for customer in customers:
        withdraw_marketing(customer=customer, proof=proof, channels=(Channel.SMS,))
    logger.info("STOP from an SMS: %d customer(s), number suppressed", len(customers))


def apply_status(*, provider_sid: str, status: str, error_code: str = "") -> Delivery | None:
    """Apply a Twilio status callback to the send it names; return its delivery if known."""
    send = SmsSend.objects.select_related("delivery").filter(provider_sid=provider_sid).first()
    if send is None:
        return None
    SmsSend.objects.filter(pk=send.pk).update(provider_status=status, error_code=error_code)
    delivery = send.delivery
    if status in (UNDELIVERED, FAILED):
        # Undelivered: the carrier could not reach the phone (an SMS's bounce); failed:
        # Twilio could not send it at all.
        delivery.status = (
            Delivery.Status.BOUNCED if status == UNDELIVERED else Delivery.Status.FAILED
        )
        delivery.last_error = f"Twilio: {status} (error {error_code or '-'})"
        delivery.save(update_fields=["status", "last_error"])
        if error_code in DEAD_NUMBER_ERRORS:
            suppress_address(
                value=send.to,
                channel=Channel.SMS,
                reason=Suppression.Reason.HARD_BOUNCE,
                note=f"Twilio error {error_code}",
            )
    return delivery
