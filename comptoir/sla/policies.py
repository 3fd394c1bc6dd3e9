"""Which targets apply to a conversation: the most specific matching policy, else defaults."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from comptoir.sla.models import SlaPolicy


@dataclass(frozen=True)
class Targets:
    first_response: timedelta
    resolution: timedelta | None


def default_targets() -> Targets:
    """The targets when no policy matches: 2 business hours to answer, by default."""
    return Targets(
        first_response=timedelta(minutes=settings.COMPTOIR_SLA_FIRST_RESPONSE_MINUTES),
        resolution=timedelta(hours=settings.COMPTOIR_SLA_RESOLUTION_HOURS) or None,
    )


def specificity(policy: SlaPolicy) -> int:
    # A team is the broadest criterion; a customer tier, the narrowest.
    return 4 * bool(policy.customer_tier) + 2 * bool(policy.category) + bool(policy.team_id)


def matches(policy: SlaPolicy, *, team_id: int | None, category: str, customer_tier: str) -> bool:
    return (
        policy.team_id in (None, team_id)
        and policy.category in ("", category)
        and policy.customer_tier in ("", customer_tier)
    )


def choose_policy(
    policies: Iterable[SlaPolicy],
    *,
    team_id: int | None,
    category: str = "",
    customer_tier: str = "",
) -> SlaPolicy | None:
    """Return the most specific policy matching; on a tie, the one created first."""
    candidates = [
        policy
        for policy in policies
        if matches(policy, team_id=team_id, category=category, customer_tier=customer_tier)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda policy: (specificity(policy), -(policy.pk or 0)))


def targets_of(policy: SlaPolicy | None) -> Targets:
    if policy is None:
        return default_targets()
    return Targets(policy.first_response_target, policy.resolution_target)
