"""Changes to consent, preferences and the suppression list. The ledger only ever grows."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from comptoir.consents.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    LegalBasis,
    NoticeVersion,
    Preference,
    Purpose,
    Suppression,
)
from comptoir.consents.rules import effective_record, hashed_value, normalise_value
from comptoir.customers.models import Customer

# The channels a customer can accept or refuse marketing on.
MARKETING_CHANNELS = (Channel.EMAIL, Channel.SMS)
OBJECTIONS = {ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN}


@dataclass(frozen=True)
class Proof:
    """How a statement was collected: where, when, on which notice, from which browser."""

    source: str
    notice: NoticeVersion | None = None
    ip_address: str | None = None
    user_agent: str = ""
    evidence: str = ""
    collected_at: datetime | None = None


def record_consent(
    *,
    customer: Customer,
    purpose: str,
    channel: str,
    status: str,
    proof: Proof,
    legal_basis: str = LegalBasis.CONSENT,
) -> ConsentRecord:
    """Append one statement of the customer's choice to the ledger."""
    return ConsentRecord.objects.create(
        customer=customer,
        purpose=purpose,
        channel=channel,
        status=status,
        legal_basis=legal_basis,
        source=proof.source,
        collected_at=proof.collected_at or timezone.now(),
        notice=proof.notice,
        ip_address=proof.ip_address or None,
        user_agent=proof.user_agent[:500],
        evidence=proof.evidence[:500],
    )


def current_marketing_status(customer: Customer, channel: str) -> str | None:
    """Return the ledger's current status for marketing on this channel, None if silent."""
    record = effective_record(customer, Purpose.MARKETING, channel, timezone.now())
    return record.status if record else None


@transaction.atomic
def withdraw_marketing(
    *, customer: Customer, proof: Proof, channels: tuple[str, ...] = MARKETING_CHANNELS
) -> list[ConsentRecord]:
    """Record that the customer wants no marketing on these channels.

    A withdrawal is recorded even where the ledger was silent: it is the objection that stops
    the soft opt-in of a later purchase. Channels already withdrawn or refused get no new row,
    so that a second click of the same link leaves the ledger as it was.
    """
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    return [
        record_consent(
            customer=customer,
            purpose=Purpose.MARKETING,
            channel=channel,
            status=ConsentStatus.WITHDRAWN,
            proof=proof,
        )
        for channel in channels
        if current_marketing_status(customer, channel) not in OBJECTIONS
    ]


@transaction.atomic
def update_preferences(
    *,
    customer: Customer,
    channels: set[str],
    topics: list[str],
    frequency: str,
    proof: Proof,
) -> list[ConsentRecord]:
    """Save what the customer chose in the preference centre.

    Each marketing channel whose choice differs from the ledger gets a new row (granted for a
    ticked box, withdrawn for an unticked one); topics and frequency are preferences, not
    consent, and are kept on the customer's `Preference`.
    """
    # One submission at a time per customer: two tabs must not both append the same change.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    appended = []
    for channel in MARKETING_CHANNELS:
        status = current_marketing_status(customer, channel)
        if channel in channels and status != ConsentStatus.GRANTED:
            wanted = ConsentStatus.GRANTED
        elif channel not in channels and status not in OBJECTIONS:
            wanted = ConsentStatus.WITHDRAWN
        else:
            continue
        appended.append(
            record_consent(
                customer=customer,
                purpose=Purpose.MARKETING,
                channel=channel,
                status=wanted,
                proof=proof,
            )
        )
    Preference.objects.update_or_create(
        customer=customer, defaults={"topics": list(topics), "frequency": frequency}
    )
    return appended


def suppress_address(*, value: str, channel: str, reason: str, note: str = "") -> Suppression:
    """Put an address or number on the suppression list; an existing entry keeps its reason.

    Called by bounce and complaint handling, imports of old unsubscribe lists, and agents.
    """
    value = normalise_value(value, channel)
    try:
        with transaction.atomic():
            suppression, _ = Suppression.objects.get_or_create(
                value=value, channel=channel, defaults={"reason": reason, "note": note[:500]}
            )
    except IntegrityError:  # Created by another process between our read and our write.
        suppression = Suppression.objects.get(value=value, channel=channel)
    return suppression


def lift_suppression(*, value: str, channel: str) -> bool:
    """Take an address off the suppression list (a bounced mailbox that works again)."""
    deleted, _ = Suppression.objects.filter(
        value=normalise_value(value, channel), channel=channel
    ).delete()
    return deleted > 0


def move_consent_records(
    *, from_customer_id: int, to_customer_id: int, record_ids: list[int] | None = None
) -> list[int]:
    """Give one customer's ledger rows to another, when two records are merged or unmerged.

    The only change the ledger allows: the rows keep every statement, date and proof; only
    the record they belong to changes, because the two records were one person all along.
    `record_ids` limits the move to those rows (an undo moves back exactly what it moved).
    Returns the ids moved.
    """
    # The base manager's plain queryset: the ledger's own manager refuses every update.
    rows = ConsentRecord._base_manager.filter(customer_id=from_customer_id)
    if record_ids is not None:
        rows = rows.filter(pk__in=record_ids)
    ids = list(rows.values_list("pk", flat=True))
    ConsentRecord._base_manager.filter(pk__in=ids).update(customer_id=to_customer_id)
    return ids


@transaction.atomic
def erase_consent_history(*, customer: Customer, addresses: dict[str, str]) -> int:
    """Remove the customer's ledger and preferences, keeping their objection as hashes.

    `addresses` maps each normalised address or number of the customer to its channel. Each
    goes on the suppression list as a keyed hash (reason: unsubscribed, so marketing stops
    and an answer to a later request of theirs still goes): an erased person is not
    prospected again when an old list is re-imported. An existing entry for the address
    keeps its reason (a hard bounce stays a hard bounce) but loses the readable value.
    Returns the number of ledger rows removed.
    """
    for value, channel in addresses.items():
        existing = Suppression.objects.filter(value=value, channel=channel).first()
        hashed = hashed_value(value)
        if not Suppression.objects.filter(value=hashed, channel=channel).exists():
            Suppression.objects.create(
                value=hashed,
                channel=channel,
                reason=existing.reason if existing else Suppression.Reason.UNSUBSCRIBED,
                note="erasure",
                created_at=existing.created_at if existing else timezone.now(),
            )
        if existing:
            existing.delete()
    Preference.objects.filter(customer=customer).delete()
    # The ledger's rows hold the proof of consent (IP address, user agent, evidence): once
    # the person is erased, the hashed suppression is what is left of their choice.
    deleted, _ = ConsentRecord._base_manager.filter(customer=customer).delete()
    return deleted
