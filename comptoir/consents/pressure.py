"""Marketing pressure: may one more solicitation reach this customer on this channel now?

The interface the sending path calls (messaging.sending); the rules come with the pressure
work of issue 4 and replace these defaults.
"""

from dataclasses import dataclass
from datetime import datetime

from comptoir.customers.models import Customer


@dataclass(frozen=True)
class PressureVerdict:
    allowed: bool
    # A messaging.models.SendReason value when not allowed.
    reason: str = ""
    # When the rule that holds the message back lets it go (None: never, e.g. a score).
    retry_at: datetime | None = None


def check_pressure(*, customer: Customer, channel: str, kind: str, at: datetime) -> PressureVerdict:
    """Say whether a message of this kind may go to the customer on this channel at `at`."""
    return PressureVerdict(True)


def record_solicitation(*, customer: Customer, channel: str, kind: str, at: datetime) -> None:
    """Count a message that is about to leave in the customer's pressure."""
