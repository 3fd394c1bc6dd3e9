"""Marketing pressure: may one more solicitation reach this customer on this channel now?

messaging.sending asks `check_pressure` for each channel it tries and calls
`record_solicitation` for each message it queues (transactional ones too: they are never held
back, but they weigh on the customer). Solicitations from elsewhere (an agent's call, a
meeting, a push sent by the shop) are recorded with the same service, or through the API.

A check reads two rows (the policy and the customer's PressureState), never the history; the
rules themselves are in pressure_rules.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from comptoir.consents.models import (
    PressurePolicy,
    PressureState,
    Preference,
    Solicitation,
    SolicitationType,
)
from comptoir.consents.pressure_rules import Entry, Policy, Snapshot, decide, fold
from comptoir.customers.models import Customer
from comptoir.messaging.models import MessageKind

SENDING = "sending"


@dataclass(frozen=True)
class PressureVerdict:
    allowed: bool
    # A messaging.models.SendReason value when not allowed.
    reason: str = ""
    # When the rule that holds the message back lets it go (None: never).
    retry_at: datetime | None = None


@dataclass(frozen=True)
class RecordedSolicitation:
    solicitation: Solicitation
    # False when this source's external id was already recorded: nothing was counted again.
    created: bool


def check_pressure(*, customer: Customer, channel: str, kind: str, at: datetime) -> PressureVerdict:
    """Say whether a message of this kind may go to the customer on this channel at `at`.

    Transactional messages always may (no query); others cost two queries, whatever the
    customer's history.
    """
    if kind == MessageKind.TRANSACTIONAL:
        return PressureVerdict(True)
    policy = current_policy()
    snapshot, frequency = read_state(customer.pk)
    decision = decide(policy, snapshot, channel=channel, frequency=frequency, at=at)
    return PressureVerdict(decision.allowed, decision.reason, decision.retry_at)


def current_policy() -> Policy:
    """Return the company's saved policy, or the defaults when none was saved."""
    return Policy.of(PressurePolicy.objects.order_by("pk").first() or PressurePolicy())


def read_state(customer_id: int) -> tuple[Snapshot, str]:
    """Return the customer's snapshot and frequency choice, in one query."""
    frequency = Preference.objects.filter(customer_id=OuterRef("customer_id")).values("frequency")
    row = (
        PressureState.objects.filter(customer_id=customer_id)
        .annotate(frequency=Subquery(frequency[:1]))
        .values_list("decayed_counts", "scored_at", "recent", "frequency")
        .first()
    )
    if row is None:
        # Never solicited: no cap, delay or score can hold anything, whatever the frequency.
        return Snapshot(), ""
    counts, scored_at, recent, frequency_choice = row
    return snapshot_of(counts, scored_at, recent), frequency_choice or ""


def snapshot_of(counts: dict[str, float], scored_at: datetime | None, recent: list) -> Snapshot:
    return Snapshot(counts, scored_at, tuple(Entry.of_json(item) for item in recent))


def record_solicitation(
    *,
    customer: Customer,
    channel: str,
    kind: str,
    at: datetime,
    source: str = SENDING,
    external_id: str = "",
    note: str = "",
) -> RecordedSolicitation:
    """Count a solicitation in the customer's pressure and keep it in their history.

    `channel` is a SolicitationType value (the sending path's channels are among them).
    With an `external_id` this source already recorded, nothing is counted again.
    """
    if channel not in SolicitationType.values:
        raise ValueError(f"unknown solicitation type '{channel}'")
    with transaction.atomic():
        try:
            with transaction.atomic():
                solicitation = Solicitation.objects.create(
                    customer=customer,
                    type=channel,
                    kind=kind,
                    at=at,
                    source=source,
                    external_id=external_id,
                    note=note[:300],
                )
        except IntegrityError:
            if not external_id:
                raise
            existing = Solicitation.objects.get(source=source, external_id=external_id)
            return RecordedSolicitation(existing, created=False)
        add_to_state(customer.pk, solicitation_type=channel, kind=kind, at=at)
    return RecordedSolicitation(solicitation, created=True)


def add_to_state(customer_id: int, *, solicitation_type: str, kind: str, at: datetime) -> None:
    """Update the customer's snapshot under a row lock: two workers never lose a count."""
    state = locked_state(customer_id)
    snapshot = snapshot_of(state.decayed_counts, state.scored_at, state.recent)
    updated = snapshot.with_solicitation(
        current_policy(), solicitation_type=solicitation_type, kind=kind, at=at
    )
    save_state(customer_id, updated)


def locked_state(customer_id: int) -> PressureState:
    """Return the customer's state row, locked until commit, creating it the first time."""
    state = PressureState.objects.select_for_update().filter(customer_id=customer_id).first()
    if state is not None:
        return state
    try:
        with transaction.atomic():
            return PressureState.objects.create(customer_id=customer_id)
    except IntegrityError:
        # Another worker created it first (its insert held ours until it committed).
        return PressureState.objects.select_for_update().get(customer_id=customer_id)


def save_state(customer_id: int, snapshot: Snapshot) -> None:
    PressureState.objects.filter(customer_id=customer_id).update(
        decayed_counts=dict(snapshot.decayed_counts),
        scored_at=snapshot.scored_at,
        recent=[entry.as_json() for entry in snapshot.recent],
        updated_at=timezone.now(),
    )


@transaction.atomic
def rebuild_pressure_state(*, customer: Customer) -> Snapshot:
    """Compute the customer's snapshot again from their whole history (after a policy change)."""
    locked_state(customer.pk)
    history = customer.solicitations.values_list("type", "kind", "at")
    snapshot = fold(current_policy(), history)
    save_state(customer.pk, snapshot)
    return snapshot
