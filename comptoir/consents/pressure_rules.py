"""Marketing-pressure rules as pure functions: the score, the caps, the delay. No database.

A customer's pressure is the sum over past solicitations of a weight per type times an impact
that halves every `half_life` (a meeting weighs more and is remembered longer than a push).
That sum needs no history: a decayed count per type, kept with the time it was computed,
decays as a whole (2^-Δt/h is the same factor for every solicitation of the type), so one
small snapshot updated at each solicitation answers exactly what a scan of the history would.
The caps and the minimum delay only ever look at the newest N solicitations of a kind within
a period, so the snapshot keeps those and no more.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from comptoir.consents.models import Frequency, PressurePolicy, SolicitationType
from comptoir.consents.quiet_hours import QuietHours
from comptoir.messaging.models import MessageKind, SendReason

# Plain strings, not enum members, in what the policy holds: it is unpickled from the cache at
# every check, and an enum member costs a class lookup there.
# Kinds the customer's own frequency choice limits: what the preference centre lets them leave.
# Transactional messages answer their own orders and requests.
CHOSEN_KINDS = frozenset({MessageKind.RELATIONSHIP.value, MessageKind.MARKETING.value})
# A decayed count this small no longer weighs on anyone; dropped to keep the row small.
NEGLIGIBLE = 1e-4
# The score falls under the threshold within this many half-lives of the slowest type, or the
# threshold is unreachable (zero or negative): then there is no time to retry at.
SCORE_SEARCH_HALF_LIVES = 64
# A release time that lands in quiet hours, or on another rule's hold, is pushed further; so
# many rounds are enough for the rules to agree (each round only moves forward).
RELEASE_ROUNDS = 12


class PolicyError(ValueError):
    """The saved policy cannot be used: a bad type, cap, half-life or time zone."""


@dataclass(frozen=True)
class TypeWeight:
    weight: float
    half_life: timedelta


# A type the policy does not list weighs nothing.
NO_WEIGHT = TypeWeight(0.0, timedelta(days=1))


@dataclass(frozen=True)
class Cap:
    """At most `max_count` solicitations within `period`, of one type ("" for every type)."""

    solicitation_type: str
    max_count: int
    period: timedelta
    reason: str
    # The kinds counted; None for every kind (the company's caps count transactional too).
    kinds: frozenset[str] | None = None

    def applies_to(self, channel: str) -> bool:
        return self.solicitation_type in ("", channel)

    def counts(self, entry: "Entry") -> bool:
        type_matches = self.solicitation_type in ("", entry.solicitation_type)
        return type_matches and (self.kinds is None or entry.kind in self.kinds)


# The customer's frequency choice in the preference centre, as caps on relationship and
# marketing messages on every channel.
FREQUENCY_CAPS: dict[str, Cap] = {
    Frequency.WEEKLY: Cap(
        "", 1, timedelta(days=7), SendReason.PRESSURE_OVERALL_LIMIT.value, CHOSEN_KINDS
    ),
    Frequency.MONTHLY: Cap(
        "", 1, timedelta(days=30), SendReason.PRESSURE_OVERALL_LIMIT.value, CHOSEN_KINDS
    ),
}
CHOSEN_KINDS_KEPT = max(cap.max_count for cap in FREQUENCY_CAPS.values())


@dataclass(frozen=True)
class Policy:
    """The company's rules, checked and ready to apply."""

    weights: Mapping[str, TypeWeight]
    caps: tuple[Cap, ...]
    min_delay: timedelta
    score_threshold: float
    quiet: QuietHours

    @classmethod
    def of(cls, saved: PressurePolicy) -> "Policy":
        """Read a saved (or default) policy; raise PolicyError when it cannot be applied."""
        return cls(
            weights=weights_of(saved.type_weights),
            caps=tuple(cap_of(item) for item in saved.caps or ()),
            min_delay=timedelta(hours=saved.min_delay_hours),
            score_threshold=float(saved.score_threshold),
            quiet=QuietHours.of(
                start=saved.quiet_from,
                end=saved.quiet_until,
                weekdays=saved.quiet_weekdays or (),
                time_zone=saved.time_zone,
                holidays_country=saved.public_holidays_country
                if saved.quiet_on_public_holidays
                else "",
            ),
        )

    def weight_of(self, solicitation_type: str) -> TypeWeight:
        return self.weights.get(solicitation_type) or NO_WEIGHT

    def longest_period(self) -> timedelta:
        periods = [cap.period for cap in (*self.caps, *FREQUENCY_CAPS.values())]
        return max([*periods, self.min_delay])

    def kept_of_type(self, solicitation_type: str) -> int:
        counts = [c.max_count for c in self.caps if c.solicitation_type == solicitation_type]
        return max(counts, default=0)

    def kept_overall(self) -> int:
        # At least the newest one, which the minimum delay looks at.
        return max([c.max_count for c in self.caps if not c.solicitation_type], default=1) or 1


def weights_of(saved: Mapping[str, Any]) -> dict[str, TypeWeight]:
    weights = {}
    for solicitation_type, values in saved.items():
        if solicitation_type not in SolicitationType.values:
            raise PolicyError(f"unknown solicitation type '{solicitation_type}'")
        try:
            weight = float(values["weight"])
            half_life = timedelta(days=float(values["half_life_days"]))
        except (KeyError, TypeError, ValueError) as error:
            raise PolicyError(
                f"'{solicitation_type}' needs a number for weight and half_life_days"
            ) from error
        if weight < 0 or half_life <= timedelta(0):
            raise PolicyError(f"'{solicitation_type}': weight ≥ 0 and half-life > 0 expected")
        weights[str(solicitation_type)] = TypeWeight(weight, half_life)
    return weights


def cap_of(saved: Mapping[str, Any]) -> Cap:
    solicitation_type = str(saved.get("type") or "")
    if solicitation_type and solicitation_type not in SolicitationType.values:
        raise PolicyError(f"unknown solicitation type '{solicitation_type}' in a cap")
    try:
        max_count, days = int(saved["max"]), float(saved["days"])
    except (KeyError, TypeError, ValueError) as error:
        raise PolicyError(f"a cap needs a number for max and days: {dict(saved)}") from error
    if max_count < 1 or days <= 0:
        raise PolicyError(f"a cap needs max ≥ 1 and days > 0: {dict(saved)}")
    reason = (
        SendReason.PRESSURE_CHANNEL_LIMIT.value
        if solicitation_type
        else SendReason.PRESSURE_OVERALL_LIMIT.value
    )
    return Cap(solicitation_type, max_count, timedelta(days=days), reason)


@dataclass(frozen=True)
class Entry:
    """One recent solicitation as the snapshot keeps it."""

    at: datetime
    solicitation_type: str
    kind: str

    def as_json(self) -> list[object]:
        # Milliseconds are precise enough and keep a float exact in JSON.
        return [round(self.at.timestamp(), 3), self.solicitation_type, self.kind]

    @classmethod
    def of_json(cls, item: list[Any]) -> "Entry":
        return cls(datetime.fromtimestamp(item[0], UTC), item[1], item[2])


@dataclass(frozen=True)
class Snapshot:
    """A customer's pressure: decayed count per type at `scored_at`, and recent solicitations."""

    decayed_counts: Mapping[str, float] = field(default_factory=dict)
    scored_at: datetime | None = None
    recent: tuple[Entry, ...] = ()  # oldest first

    def score(self, policy: Policy, at: datetime) -> float:
        """Return the sum of weight × impact of every past solicitation, as seen at `at`."""
        if self.scored_at is None:
            return 0.0
        age = max(as_utc(at) - self.scored_at, timedelta(0))
        total = 0.0
        for solicitation_type, count in self.decayed_counts.items():
            weight = policy.weight_of(solicitation_type)
            total += weight.weight * count * decay(age, weight.half_life)
        return total

    def decayed_count(self, policy: Policy, solicitation_type: str, at: datetime) -> float:
        count = self.decayed_counts.get(solicitation_type, 0.0)
        if self.scored_at is None or not count:
            return 0.0
        age = max(as_utc(at) - self.scored_at, timedelta(0))
        return count * decay(age, policy.weight_of(solicitation_type).half_life)

    def with_solicitation(
        self, policy: Policy, *, solicitation_type: str, kind: str, at: datetime
    ) -> "Snapshot":
        """Return the snapshot once this solicitation is counted; `at` may be in the past."""
        at = as_utc(at)
        return replace(
            self,
            **self.counts_with(policy, solicitation_type, at),
            recent=kept_recent(
                policy,
                sorted((*self.recent, Entry(at, solicitation_type, kind)), key=lambda e: e.at),
            ),
        )

    def counts_with(self, policy: Policy, solicitation_type: str, at: datetime) -> dict[str, Any]:
        if self.scored_at is not None and at < self.scored_at:
            # A solicitation from before the snapshot (a call logged late): it has faded since.
            impact = decay(self.scored_at - at, policy.weight_of(solicitation_type).half_life)
            counts = dict(self.decayed_counts)
            counts[solicitation_type] = counts.get(solicitation_type, 0.0) + impact
            return {"decayed_counts": counts, "scored_at": self.scored_at}
        counts = {t: self.decayed_count(policy, t, at) for t in self.decayed_counts}
        counts[solicitation_type] = counts.get(solicitation_type, 0.0) + 1.0
        counts = {t: c for t, c in counts.items() if c >= NEGLIGIBLE}
        return {"decayed_counts": counts, "scored_at": at}


def as_utc(moment: datetime) -> datetime:
    """Return the same instant in UTC.

    Python subtracts and compares two datetimes of the same time zone by their wall clocks: a
    week across the change of time would last 167 or 169 hours. In UTC it lasts 168.
    """
    return moment.astimezone(UTC)


def decay(age: timedelta, half_life: timedelta) -> float:
    """Return the impact left of a solicitation this old: 1 when new, ½ after one half-life."""
    return 0.5 ** (age / half_life)


def kept_recent(policy: Policy, entries: list[Entry]) -> tuple[Entry, ...]:
    """Keep, within the longest period, the newest entries any cap or the delay can count."""
    if not entries:
        return ()
    horizon = entries[-1].at - policy.longest_period()
    per_type: Counter[str] = Counter()
    chosen = overall = 0
    kept = []
    for entry in reversed(entries):
        if entry.at <= horizon:
            break
        wanted = (
            overall < policy.kept_overall()
            or per_type[entry.solicitation_type] < policy.kept_of_type(entry.solicitation_type)
            or (entry.kind in CHOSEN_KINDS and chosen < CHOSEN_KINDS_KEPT)
        )
        overall += 1
        per_type[entry.solicitation_type] += 1
        chosen += entry.kind in CHOSEN_KINDS
        if wanted:
            kept.append(entry)
    return tuple(reversed(kept))


def fold(policy: Policy, solicitations: Iterable[tuple[str, str, datetime]]) -> Snapshot:
    """Build the snapshot from a history of (type, kind, at), in any order."""
    snapshot = Snapshot()
    for solicitation_type, kind, at in sorted(solicitations, key=lambda item: item[2]):
        snapshot = snapshot.with_solicitation(
            policy, solicitation_type=solicitation_type, kind=kind, at=at
        )
    return snapshot


@dataclass(frozen=True)
class Hold:
    reason: str
    # When this rule lets the message go, if nothing else is sent meanwhile; None: never.
    until: datetime | None


def holds_at(
    policy: Policy, snapshot: Snapshot, *, channel: str, frequency: str, at: datetime
) -> list[Hold]:
    """Return every rule that holds back a relationship or marketing message at `at`."""
    at = as_utc(at)
    holds = []
    if policy.quiet.is_quiet(at):
        holds.append(Hold(SendReason.PRESSURE_QUIET_HOURS, as_utc(policy.quiet.end_of_quiet(at))))
    if snapshot.recent and snapshot.recent[-1].at > at - policy.min_delay:
        holds.append(Hold(SendReason.PRESSURE_MIN_DELAY, snapshot.recent[-1].at + policy.min_delay))
    caps = [*policy.caps, *([FREQUENCY_CAPS[frequency]] if frequency in FREQUENCY_CAPS else [])]
    for cap in caps:
        if not cap.applies_to(channel):
            continue
        counted = [e for e in snapshot.recent if cap.counts(e) and e.at > at - cap.period]
        if len(counted) >= cap.max_count:
            # The count falls under the cap when the max-th newest leaves the period.
            holds.append(Hold(cap.reason, counted[-cap.max_count].at + cap.period))
    if snapshot.score(policy, at) >= policy.score_threshold:
        holds.append(Hold(SendReason.PRESSURE_SCORE, score_falls_under(policy, snapshot, at)))
    return holds


def score_falls_under(policy: Policy, snapshot: Snapshot, at: datetime) -> datetime | None:
    """Return the first minute the score is under the threshold, if nothing else is sent."""
    if policy.score_threshold <= 0:
        return None
    slowest = max(policy.weight_of(t).half_life for t in snapshot.decayed_counts)
    low, high = at, at + slowest * SCORE_SEARCH_HALF_LIVES
    if snapshot.score(policy, high) >= policy.score_threshold:
        return None
    # The score only falls with time: bisect to the minute.
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if snapshot.score(policy, middle) >= policy.score_threshold:
            low = middle
        else:
            high = middle
    return high


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    retry_at: datetime | None = None


def decide(
    policy: Policy, snapshot: Snapshot, *, channel: str, frequency: str, at: datetime
) -> Decision:
    """Say whether a relationship or marketing message may leave at `at`, else until when.

    The reason given is the rule that holds longest; the retry time is the first moment every
    rule lets go (a cap that ends at 22:00 waits for the end of quiet hours too), assuming
    nothing else is sent meanwhile, which release_held_deliveries checks again then.
    """
    holds = holds_at(policy, snapshot, channel=channel, frequency=frequency, at=at)
    if not holds:
        return Decision(True)
    longest = max(holds, key=hold_order)
    retry_at = longest.until
    for _round in range(RELEASE_ROUNDS):
        if retry_at is None:
            break
        later = holds_at(policy, snapshot, channel=channel, frequency=frequency, at=retry_at)
        if not later:
            break
        retry_at = max(later, key=hold_order).until
    return Decision(False, longest.reason, retry_at)


def hold_order(hold: Hold) -> datetime:
    return hold.until or datetime.max.replace(tzinfo=UTC)
