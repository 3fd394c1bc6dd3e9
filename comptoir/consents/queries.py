"""Reads of the consent ledger, preferences and marketing pressure."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from comptoir.consents.models import (
    ConsentRecord,
    ConsentStatus,
    Preference,
    Purpose,
    Solicitation,
)
from comptoir.consents.rules import effective_record, is_soft_opt_in
from comptoir.customers.models import Customer


def list_consent_history(customer: Customer) -> QuerySet[ConsentRecord]:
    """Return the customer's ledger, oldest first, with the notices shown."""
    return customer.consent_records.select_related("notice").order_by("collected_at", "pk")


def is_marketing_accepted(customer: Customer, channel: str) -> bool:
    """Say whether the ledger (or the soft opt-in) lets marketing through on this channel.

    This is what the preference centre shows ticked; the suppression list is not considered.
    """
    now = timezone.now()
    record = effective_record(customer, Purpose.MARKETING, channel, now)
    if record is not None:
        return record.status == ConsentStatus.GRANTED
    return is_soft_opt_in(customer, Purpose.MARKETING, channel, now)


def find_preference(customer: Customer) -> Preference | None:
    return Preference.objects.filter(customer=customer).first()


@dataclass(frozen=True)
class PressureSummary:
    score: float
    threshold: float
    latest: list[Solicitation]


def get_pressure_summary(customer: Customer, *, latest: int = 5) -> PressureSummary:
    """Return the customer's pressure score now, the policy's threshold and latest solicitations."""
    from comptoir.consents.pressure import current_policy, read_state

    policy = current_policy()
    snapshot, _frequency = read_state(customer.pk)
    return PressureSummary(
        score=snapshot.score(policy, timezone.now()),
        threshold=policy.score_threshold,
        latest=list(customer.solicitations.order_by("-at", "-pk")[:latest]),
    )
