"""The one answer to "may we send purpose P on channel C to this customer now?".

Everything that sends asks `may_send()`: messaging.services when a delivery is queued, and
messaging.dispatch again just before the adapter is called, because a withdrawal or a bounce
may have arrived in between. The rules, in order:

1. Suppression list, for the recipient's address (or every address of the customer on the
   channel). A hard bounce or a manual block stops every purpose: the address is dead or the
   company decided so. An unsubscribe or a complaint stops marketing only: RFC 8058 and the
   CNIL both say that leaving a marketing list must not cut the customer off from the answers
   and transactional messages they need.
2. Service and transactional messages need no opt-in (they rest on the contract).
3. The ledger: the latest statement for the purpose and channel decides, and a withdrawal
   wins - over a grant at the same instant, and over any later grant that came from an
   import (re-importing an old list must not re-subscribe someone who left).
4. Without any statement: marketing email to a customer who bought from us in the last three
   years is allowed (CNIL "soft opt-in", article L34-5 CPCE: an existing customer, similar
   products, who was offered to object and has not); anything else needs an opt-in - marketing
   email to a prospect, marketing SMS always (stricter than the law, as the seeds ask), profiling.
5. A marketing message about a topic the customer left unticked is refused.

A postal letter follows its own rules (may_send_letter): no suppression list (an address
does not bounce or complain), and marketing by post is opt-out in France - allowed unless
the customer refused or withdrew it.

A batch of sends (a campaign's chunk) reads the rows these rules need once for all its
customers (`ConsentFacts.read`) and passes them to `may_send`: the same rules, fewer queries.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.consents.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Preference,
    Purpose,
    Source,
    Suppression,
)
from comptoir.core.signing import salted_hmac
from comptoir.customers.identities import InvalidIdentity, normalise_email, normalise_phone
from comptoir.customers.models import Customer, Identity

# The CNIL keeps a customer's data for prospecting three years after the last purchase.
SOFT_OPT_IN_WINDOW = timedelta(days=3 * 365)

# Suppressions that stop every purpose, service included.
BLOCKS_EVERY_PURPOSE = {
    Suppression.Reason.HARD_BOUNCE,
    Suppression.Reason.SOFT_BOUNCES,
    Suppression.Reason.MANUAL,
}

# Suppression values starting with this are keyed hashes, not addresses (see hashed_value).
HASH_PREFIX = "hmac-sha256:"

IDENTITY_KIND = {Channel.EMAIL: Identity.Kind.EMAIL, Channel.SMS: Identity.Kind.PHONE}

# Why a letter may go when the ledger is silent. Only refusals are stored on a delivery, so
# this reason is never saved and needs no choice of its own.
NO_OBJECTION = "no_objection"


class Reason(models.TextChoices):
    SERVICE = "service", _("Service message: no opt-in needed")
    GRANTED = "granted", _("Consent granted")
    SOFT_OPT_IN = "soft_opt_in", _("Existing customer (soft opt-in)")
    NO_OPT_IN = "no_opt_in", _("No opt-in")
    REFUSED = "refused", _("Consent refused")
    WITHDRAWN = "withdrawn", _("Consent withdrawn")
    TOPIC_NOT_CHOSEN = "topic_not_chosen", _("Topic not chosen by the customer")
    NO_ADDRESS = "no_address", _("No address on this channel")
    SUPPRESSED_UNSUBSCRIBED = "suppressed_unsubscribed", _("Address unsubscribed")
    SUPPRESSED_HARD_BOUNCE = "suppressed_hard_bounce", _("Address bounced")
    SUPPRESSED_SOFT_BOUNCES = "suppressed_soft_bounces", _("Address keeps bouncing")
    SUPPRESSED_COMPLAINT = "suppressed_complaint", _("Complaint from this address")
    SUPPRESSED_MANUAL = "suppressed_manual", _("Address blocked")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


@dataclass
class ConsentFacts:
    """The rows the rules read, for a batch of customers: read once, asked many times.

    Holds every consent record and preference of those customers and the suppression
    entries of their addresses; a customer or an address outside the batch is not in it.
    """

    records: dict[int, list[ConsentRecord]] = field(default_factory=dict)
    # (value, channel) -> (reason, created_at); value as stored (an address or its hash).
    suppressions: dict[tuple[str, str], tuple[str, datetime]] = field(default_factory=dict)
    # customer id -> preference (absent: the customer never set one).
    preferences: dict[int, Preference] = field(default_factory=dict)

    @classmethod
    def read(cls, customers: Sequence[Customer], addresses: Iterable[tuple[str, str]]) -> "ConsentFacts":
        """Read the facts for these customers and these (address, channel) pairs in three
        queries; the customers' identities should be prefetched."""
        ids = [customer.pk for customer in customers]
        facts = cls()
        for record in ConsentRecord.objects.filter(customer_id__in=ids):
            facts.records.setdefault(record.customer_id, []).append(record)
        facts.preferences = {p.customer_id: p for p in Preference.objects.filter(customer_id__in=ids)}
        values: set[str] = set()
        channels: set[str] = set()
        for address, channel in addresses:
            value = normalise_value(address, channel)
            values.update((value, hashed_value(value)))
            channels.add(channel)
        for value, channel, reason, created_at in Suppression.objects.filter(
            value__in=values, channel__in=channels
        ).values_list("value", "channel", "reason", "created_at"):
            facts.suppressions[(value, channel)] = (reason, created_at)
        return facts

    def suppressed(self, values: Iterable[str], channel: str, at: datetime) -> list[tuple[str, str]]:
        found = []
        for value in values:
            entry = self.suppressions.get((value, channel))
            if entry is not None and entry[1] <= at:
                found.append((value, entry[0]))
        return found


def may_send(
    customer: Customer,
    purpose: str,
    channel: str,
    at: datetime | None = None,
    *,
    recipient: str | None = None,
    topic: str | None = None,
    facts: ConsentFacts | None = None,
) -> Decision:
    """Say whether a message of this purpose may go to this customer on this channel at `at`.

    `recipient` is the address or number the message would go to; without it every address
    the customer has on the channel is considered, and one that is not suppressed is enough.
    `facts`, read once for a batch, stand for the queries otherwise made for this customer.
    """
    at = at or timezone.now()
    if channel == Channel.LETTER:
        return may_send_letter(customer, purpose, at, recipient=recipient, topic=topic)
    if purpose != Purpose.PROFILING:
        blocked = suppression_reason(customer, purpose, channel, at, recipient, facts)
        if blocked:
            return Decision(False, blocked)
    if purpose == Purpose.SERVICE:
        return Decision(True, Reason.SERVICE)

    latest = effective_record(customer, purpose, channel, at, facts)
    if latest is not None and latest.status != ConsentStatus.GRANTED:
        return Decision(False, Reason(latest.status))
    if latest is None:
        if not is_soft_opt_in(customer, purpose, channel, at):
            return Decision(False, Reason.NO_OPT_IN)
        decision = Decision(True, Reason.SOFT_OPT_IN)
    else:
        decision = Decision(True, Reason.GRANTED)

    if purpose == Purpose.MARKETING and topic and not wants_topic(customer, topic, facts):
        return Decision(False, Reason.TOPIC_NOT_CHOSEN)
    return decision


def may_send_letter(
    customer: Customer,
    purpose: str,
    at: datetime,
    *,
    recipient: str | None = None,
    topic: str | None = None,
) -> Decision:
    """Say whether a postal letter of this purpose may go to the customer at `at`."""
    address = customer.postal_address if recipient is None else recipient
    if not address.strip():
        return Decision(False, Reason.NO_ADDRESS)
    if purpose == Purpose.SERVICE:
        return Decision(True, Reason.SERVICE)
    latest = effective_record(customer, purpose, Channel.LETTER, at)
    if latest is not None and latest.status != ConsentStatus.GRANTED:
        return Decision(False, Reason(latest.status))
    if latest is None and purpose != Purpose.MARKETING:
        return Decision(False, Reason.NO_OPT_IN)  # profiling needs an opt-in everywhere
    if purpose == Purpose.MARKETING and topic and not wants_topic(customer, topic):
        return Decision(False, Reason.TOPIC_NOT_CHOSEN)
    return Decision(True, Reason.GRANTED if latest is not None else NO_OBJECTION)


def is_soft_opt_in(customer: Customer, purpose: str, channel: str, at: datetime) -> bool:
    return (
        purpose == Purpose.MARKETING
        and channel == Channel.EMAIL
        and customer.last_purchase_at is not None
        and at - SOFT_OPT_IN_WINDOW <= customer.last_purchase_at <= at
    )


def effective_record(
    customer: Customer, purpose: str, channel: str, at: datetime, facts: ConsentFacts | None = None
) -> ConsentRecord | None:
    """Return the ledger row that decides for this purpose and channel at `at`, if any."""
    if facts is None:
        records: Iterable[ConsentRecord] = ConsentRecord.objects.filter(
            customer=customer,
            purpose=purpose,
            channel__in=[channel, Channel.ANY],
            collected_at__lte=at,
        )
    else:
        records = [
            r
            for r in facts.records.get(customer.pk, [])
            if r.purpose == purpose and r.channel in (channel, Channel.ANY) and r.collected_at <= at
        ]
    # On the same instant, the negative statement sorts last and so wins.
    ordered = sorted(
        records, key=lambda r: (r.collected_at, r.status != ConsentStatus.GRANTED, r.pk)
    )
    current: ConsentRecord | None = None
    for record in ordered:
        objected = current is not None and current.status != ConsentStatus.GRANTED
        if objected and record.status == ConsentStatus.GRANTED and record.source == Source.IMPORT:
            continue
        current = record
    return current


def suppression_reason(
    customer: Customer,
    purpose: str,
    channel: str,
    at: datetime,
    recipient: str | None,
    facts: ConsentFacts | None = None,
) -> str | None:
    """Return why the suppression list stops this send, or None."""
    if recipient is not None:
        values = [normalise_value(recipient, channel)]
    else:
        values = [
            identity.value
            for identity in customer.identities.all()
            if identity.kind == IDENTITY_KIND.get(channel)
        ]
        if not values:
            return Reason.NO_ADDRESS
    # An erased person's addresses are kept only as keyed hashes (comptoir.privacy.erasure).
    hashed = {hashed_value(value): value for value in values}
    if facts is None:
        found: Iterable[tuple[str, str]] = Suppression.objects.filter(
            value__in=[*values, *hashed], channel=channel, created_at__lte=at
        ).values_list("value", "reason")
    else:
        found = facts.suppressed([*values, *hashed], channel, at)
    reasons: dict[str, str] = {hashed.get(value, value): reason for value, reason in found}
    stopping = {
        value: reason
        for value, reason in reasons.items()
        if reason in BLOCKS_EVERY_PURPOSE or purpose != Purpose.SERVICE
    }
    if len(stopping) < len(values):
        return None
    return f"suppressed_{stopping[values[0]]}"


def normalise_value(value: str, channel: str) -> str:
    try:
        return normalise_phone(value) if channel == Channel.SMS else normalise_email(value)
    except InvalidIdentity:
        return value.strip().lower()


def hashed_value(value: str) -> str:
    """Return the keyed hash that stands for a normalised address on the suppression list.

    Erasing a person must not erase their objection: the suppression list keeps their
    addresses in this form, which matches the address again but cannot be read back. The
    key is COMPTOIR_SUPPRESSION_HASH_KEY: changing it forgets every hashed entry.
    """
    digest = salted_hmac(
        "comptoir.consents.suppression",
        value,
        secret=settings.COMPTOIR_SUPPRESSION_HASH_KEY,
        algorithm="sha256",
    ).hexdigest()
    return f"{HASH_PREFIX}{digest}"


def wants_topic(customer: Customer, topic: str, facts: ConsentFacts | None = None) -> bool:
    if facts is None:
        preference = Preference.objects.filter(customer=customer).only("topics").first()
    else:
        preference = facts.preferences.get(customer.pk)
    return preference is None or topic in preference.topics
