"""Marketing pressure: may one more solicitation reach this customer on this channel now?

messaging.sending asks `check_pressure` for each channel it tries and calls
`record_solicitation` for each message it queues (transactional ones too: they are never held
back, but they weigh on the customer). Solicitations from elsewhere (an agent's call, a
meeting, a push sent by the shop) are recorded with the same service, or through the API.

A check reads the customer's PressureState row (and the policy when the cache has not got it),
never the history; the rules themselves are in pressure_rules.
"""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache as cache_once
from uuid import uuid4

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from comptoir.consents.models import (
    PressurePolicy,
    PressureState,
    Preference,
    Solicitation,
    SolicitationType,
)
from comptoir.consents.pressure_rules import Entry, Policy, Snapshot, decide, fold
from comptoir.core.bulk import insert_objects
from comptoir.customers.models import Customer
from comptoir.messaging.models import MessageKind

SENDING = "sending"
POLICY_VERSION_KEY = "consents:pressure-policy-version"
# An edit reaches the process that saved it at once, every process at once with a shared
# cache (COMPTOIR_CACHE_URL), and within this time otherwise.
POLICY_CACHE_SECONDS = 60
# The policy as this process loaded it: {"current": (version, policy)}.
LOADED_POLICY: dict[str, tuple[str, Policy]] = {}


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

    Transactional messages always may (no query); others cost one query, whatever the
    customer's history (two when the policy is not in the cache).
    """
    if kind == MessageKind.TRANSACTIONAL:
        return PressureVerdict(True)
    policy = current_policy()
    snapshot, frequency = read_state(customer.pk)
    decision = decide(policy, snapshot, channel=channel, frequency=frequency, at=at)
    return PressureVerdict(decision.allowed, decision.reason, decision.retry_at)


def current_policy() -> Policy:
    """Return the company's policy (the defaults when none was saved), kept a minute.

    The policy itself stays in this process (unpickling it from the cache at each check cost
    more than the check); the cache holds the version it was loaded as, so that a save, or
    a cache emptied, makes every process sharing the cache load it again.
    """
    version = cache.get(POLICY_VERSION_KEY)
    loaded = LOADED_POLICY.get("current")
    if loaded is not None and version is not None and loaded[0] == version:
        return loaded[1]
    policy = Policy.of(PressurePolicy.objects.order_by("pk").first() or PressurePolicy())
    version = version or uuid4().hex
    cache.set(POLICY_VERSION_KEY, version, POLICY_CACHE_SECONDS)
    LOADED_POLICY["current"] = (version, policy)
    return policy


def save_pressure_policy(*, policy: PressurePolicy) -> PressurePolicy:
    """Check and save the company's policy; the next check in this process applies it."""
    policy.full_clean()
    policy.save()
    cache.delete(POLICY_VERSION_KEY)
    return policy


def read_state(customer_id: int) -> tuple[Snapshot, str]:
    """Return the customer's snapshot and frequency choice, in one query.

    Written in SQL, like the other reads and writes of the state row, because it runs for
    every message of a campaign: compiling these queries through the ORM cost several times
    running them (bench/pressure.py).
    """
    row = fetch_one(state_sql(with_frequency=True), [customer_id])
    if row is None:
        # Never solicited: no cap, delay or score can hold anything, whatever the frequency.
        return Snapshot(), ""
    return snapshot_of(*row[:3]), row[3] or ""


@cache_once
def state_sql(*, with_frequency: bool = False, for_update: bool = False) -> str:
    quote = connection.ops.quote_name
    state, preference = PressureState._meta.db_table, Preference._meta.db_table
    sql = f"SELECT s.decayed_counts, s.scored_at, s.recent FROM {quote(state)} s"
    if with_frequency:
        sql = sql.replace(" FROM", ", p.frequency FROM")
        sql += f" LEFT JOIN {quote(preference)} p ON p.customer_id = s.customer_id"
    sql += " WHERE s.customer_id = %s"
    # SQLite has no row locks: its IMMEDIATE transactions let one writer in at a time.
    if for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql


def fetch_one(sql: str, params: list[object]) -> tuple | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def snapshot_of(counts: object, scored_at: datetime | str | None, recent: object) -> Snapshot:
    """Return the snapshot of a state row read in SQL (JSON as text, SQLite's dates as text)."""
    json_field = PressureState._meta.get_field("recent")
    counts = json_field.from_db_value(counts, None, connection)
    recent = json_field.from_db_value(recent, None, connection)
    return Snapshot(counts, aware(scored_at), tuple(Entry.of_json(item) for item in recent))


def aware(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


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
            # Only an external id can collide: the sending path needs no savepoint.
            with transaction.atomic() if external_id else nullcontext():
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
        snapshot = lock_state(customer.pk).with_solicitation(
            current_policy(), solicitation_type=channel, kind=kind, at=at
        )
        save_state(customer.pk, snapshot)
    return RecordedSolicitation(solicitation, created=True)


def lock_state(customer_id: int) -> Snapshot:
    """Return the customer's snapshot, its row locked until commit: no worker loses a count.

    The row is created the first time; when two workers create it at once, the second
    insert waits for the first to commit, fails, and reads the row the first one wrote.
    """
    row = fetch_one(state_sql(for_update=True), [customer_id])
    if row is None:
        try:
            with transaction.atomic():
                PressureState.objects.create(customer_id=customer_id)
        except IntegrityError:
            pass
        row = fetch_one(state_sql(for_update=True), [customer_id])
    assert row is not None
    return snapshot_of(*row)


def save_state(customer_id: int, snapshot: Snapshot) -> None:
    save_states({customer_id: snapshot})


def save_states(snapshots: dict[int, Snapshot]) -> None:
    """Write these customers' state rows, in one statement executed for each."""
    fields = {f.name: f for f in PressureState._meta.concrete_fields}
    now = timezone.now()
    names = ["decayed_counts", "scored_at", "recent", "updated_at"]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(name)} = %s" for name in names)
    rows = []
    for customer_id, snapshot in snapshots.items():
        values = {
            "decayed_counts": dict(snapshot.decayed_counts),
            "scored_at": snapshot.scored_at,
            "recent": [entry.as_json() for entry in snapshot.recent],
            "updated_at": now,
        }
        rows.append(
            [fields[name].get_db_prep_save(values[name], connection) for name in names]
            + [customer_id]
        )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(PressureState._meta.db_table)} SET {assignments}"
            " WHERE customer_id = %s",
            rows,
        )


@transaction.atomic
def rebuild_pressure_state(*, customer: Customer) -> Snapshot:
    """Compute the customer's snapshot again from their whole history (after a policy change)."""
    lock_state(customer.pk)
    history = list(customer.solicitations.values_list("type", "kind", "at"))
    if not history:
        PressureState.objects.filter(customer=customer).delete()
        return Snapshot()
    snapshot = fold(current_policy(), history)
    save_state(customer.pk, snapshot)
    return snapshot


class PressureBatch:
    """The pressure of a batch's customers (a campaign's chunk): their state rows read and
    locked in one query, checks answered from memory, solicitations written together.

    Use inside the batch's transaction: `check` and `record` as check_pressure and
    record_solicitation would, in order (a second message to one customer sees the first),
    then `save` once. The rows stay locked until commit, as record_solicitation's do.
    """

    def __init__(self, customer_ids: list[int]) -> None:
        self.policy = current_policy()
        self.states = lock_states(sorted(set(customer_ids)))
        self.recorded: list[Solicitation] = []
        self.changed: set[int] = set()

    def check(
        self, *, customer: Customer, channel: str, kind: str, at: datetime
    ) -> PressureVerdict:
        if kind == MessageKind.TRANSACTIONAL:
            return PressureVerdict(True)
        snapshot, frequency = self.states[customer.pk]
        decision = decide(self.policy, snapshot, channel=channel, frequency=frequency, at=at)
        return PressureVerdict(decision.allowed, decision.reason, decision.retry_at)

    def record(self, *, customer: Customer, channel: str, kind: str, at: datetime) -> None:
        snapshot, frequency = self.states[customer.pk]
        self.states[customer.pk] = (
            snapshot.with_solicitation(self.policy, solicitation_type=channel, kind=kind, at=at),
            frequency,
        )
        self.recorded.append(
            Solicitation(customer=customer, type=channel, kind=kind, at=at, source=SENDING)
        )
        self.changed.add(customer.pk)

    def save(self) -> None:
        insert_objects(self.recorded)
        save_states({pk: self.states[pk][0] for pk in sorted(self.changed)})
        self.recorded, self.changed = [], set()


def lock_states(customer_ids: list[int]) -> dict[int, tuple[Snapshot, str]]:
    """Return the customers' snapshots and frequency choices, their rows locked until commit.

    Missing rows are created first (in one INSERT), so that every row can be locked.
    """
    if not customer_ids:
        return {}
    PressureState.objects.bulk_create(
        [PressureState(customer_id=pk) for pk in customer_ids], ignore_conflicts=True
    )
    quote = connection.ops.quote_name
    state, preference = PressureState._meta.db_table, Preference._meta.db_table
    placeholders = ", ".join(["%s"] * len(customer_ids))
    sql = (
        f"SELECT s.customer_id, s.decayed_counts, s.scored_at, s.recent, p.frequency"
        f" FROM {quote(state)} s LEFT JOIN {quote(preference)} p"
        f" ON p.customer_id = s.customer_id WHERE s.customer_id IN ({placeholders})"
        # One order for every batch, so that two batches never wait for each other's rows.
        " ORDER BY s.customer_id"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE OF s"
    with connection.cursor() as cursor:
        cursor.execute(sql, customer_ids)
        rows = cursor.fetchall()
    return {row[0]: (snapshot_of(*row[1:4]), row[4] or "") for row in rows}
