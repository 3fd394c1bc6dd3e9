"""The audit log: who did what to a customer record. Every privacy service writes to it."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.customers.models import Customer
from comptoir.privacy.models import AuditEntry

# A record open in several tabs, or reloaded, is one look: one "viewed" entry per agent and
# record in this window keeps the log readable.
VIEW_DEDUPE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Actor:
    """Who acts: an agent, an API token (by name), or the system (a retention rule)."""

    kind: str
    name: str

    @classmethod
    def of(cls, who: "Agent | Actor") -> "Actor":
        if isinstance(who, Actor):
            return who
        return cls(AuditEntry.ActorKind.AGENT, who.get_username())

    @classmethod
    def api_token(cls, name: str) -> "Actor":
        return cls(AuditEntry.ActorKind.API_TOKEN, name[:150])


SYSTEM = Actor(AuditEntry.ActorKind.SYSTEM, "system")


def record_action(
    *, actor: Agent | Actor, action: str, customer_id: int, details: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one entry to the audit log. `details` must hold no personal data."""
    who = Actor.of(actor)
    return AuditEntry.objects.create(
        actor_kind=who.kind,
        actor=who.name,
        action=action,
        customer_id=customer_id,
        details=details or {},
    )


def record_view(customer: Customer, actor: Agent | Actor) -> None:
    """Note that someone opened this customer's record (the 360 page, the API)."""
    who = Actor.of(actor)
    recent = AuditEntry.objects.filter(
        customer_id=customer.pk,
        action=AuditEntry.Action.VIEWED,
        actor_kind=who.kind,
        actor=who.name,
        at__gte=timezone.now() - VIEW_DEDUPE_WINDOW,
    )
    if not recent.exists():
        record_action(actor=who, action=AuditEntry.Action.VIEWED, customer_id=customer.pk)


def erased_customer_ids() -> set[int]:
    """Return the ids of customers who were erased or anonymised."""
    return set(
        AuditEntry.objects.filter(
            action__in=[AuditEntry.Action.ERASED, AuditEntry.Action.ANONYMISED]
        ).values_list("customer_id", flat=True)
    )


def is_erased(customer_id: int) -> bool:
    return AuditEntry.objects.filter(
        customer_id=customer_id,
        action__in=[AuditEntry.Action.ERASED, AuditEntry.Action.ANONYMISED],
    ).exists()
