"""Marketing-pressure check at send time: cost per message, against a scan of the history.

Generates customers with a long history (200 solicitations each by default, over three years,
on every channel, the latest from hours to weeks ago), then times, in the same run:

- ours: `consents.pressure.check_pressure()`, which reads the policy and the customer's
  PressureState row (decayed score per type + the few recent solicitations the caps need);
- baseline: the naive check, which reads the customer's whole Solicitation history each time
  and computes the same score, caps and delay from it in one linear pass.

Both must give the same verdict for every customer; the script checks it. It also times
`record_solicitation()` (the write that keeps the state row). SQLite in a temporary directory
by default; PostgreSQL (or another database) with DATABASE_URL, a scratch database it
migrates and writes to (the generated customers are deleted at the end).

    .venv/bin/python bench/pressure.py [--customers 1000] [--history 200] [--repeat 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/comptoir_bench_pressure .venv/bin/python \
        bench/pressure.py
"""

import argparse
import os
import random
import sys
import tempfile
import time
from contextlib import nullcontext
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
# A Tuesday morning in Paris: outside quiet hours, so that the other rules decide.
AT = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
TYPES = ["email"] * 6 + ["sms"] * 2 + ["push"] * 2 + ["letter", "call", "meeting"]
KINDS = ["marketing"] * 3 + ["transactional"] * 2 + ["relationship"]
FREQUENCIES = ["", "", "", "weekly", "monthly"]


def setup_django() -> None:
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    os.environ.setdefault("COMPTOIR_LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL"):
        os.environ["COMPTOIR_DATA_DIR"] = tempfile.mkdtemp(prefix="comptoir-bench-pressure-")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def load(customers: int, history: int) -> list[Any]:
    """Create the customers, their histories and (as record_solicitation would) their states."""
    from comptoir.consents.models import Preference, PressureState, Solicitation
    from comptoir.consents.pressure import current_policy
    from comptoir.consents.pressure_rules import fold
    from comptoir.customers.models import Customer

    rng = random.Random(42)
    policy = current_policy()
    created = Customer.objects.bulk_create(
        (Customer(first_name=f"Pression {n}") for n in range(customers)), batch_size=2000
    )
    solicitations, states, preferences = [], [], []
    for customer in created:
        # Three years of history, the latest solicitation from hours to weeks ago: some
        # customers are free to reach, others held by a cap, the delay or the score.
        latest = AT - timedelta(days=rng.uniform(0.25, 40))
        rows = [
            (rng.choice(TYPES), rng.choice(KINDS), latest - timedelta(days=rng.uniform(0, 3 * 365)))
            for _ in range(history - 1)
        ]
        rows.append((rng.choice(TYPES), rng.choice(KINDS), latest))
        solicitations += [
            Solicitation(customer=customer, type=t, kind=k, at=at, source="bench")
            for t, k, at in rows
        ]
        snapshot = fold(policy, rows)
        states.append(
            PressureState(
                customer=customer,
                decayed_counts=dict(snapshot.decayed_counts),
                scored_at=snapshot.scored_at,
                recent=[entry.as_json() for entry in snapshot.recent],
            )
        )
        frequency = rng.choice(FREQUENCIES)
        if frequency:
            preferences.append(Preference(customer=customer, frequency=frequency))
        if len(solicitations) >= 20_000:
            Solicitation.objects.bulk_create(solicitations, batch_size=5000)
            solicitations.clear()
    Solicitation.objects.bulk_create(solicitations, batch_size=5000)
    PressureState.objects.bulk_create(states, batch_size=2000)
    Preference.objects.bulk_create(preferences, batch_size=2000)
    return created


def naive_check(customer: Any, channel: str, kind: str, at: datetime) -> Any:
    """The baseline: read the customer's whole history at every check."""
    from comptoir.consents.models import Preference, Solicitation
    from comptoir.consents.pressure import PressureVerdict, current_policy
    from comptoir.consents.pressure_rules import Entry, Snapshot, decay, decide

    if kind == "transactional":
        return PressureVerdict(True)
    policy = current_policy()
    frequency = (
        Preference.objects.filter(customer=customer).values_list("frequency", flat=True).first()
    )
    counts: dict[str, float] = defaultdict(float)
    horizon = at - policy.longest_period()
    recent = []
    history = Solicitation.objects.filter(customer=customer).values_list("type", "kind", "at")
    for solicitation_type, solicitation_kind, solicited_at in history:
        counts[solicitation_type] += decay(
            max(at - solicited_at, timedelta(0)), policy.weight_of(solicitation_type).half_life
        )
        if solicited_at > horizon:
            recent.append(Entry(solicited_at, solicitation_type, solicitation_kind))
    recent.sort(key=lambda entry: entry.at)
    snapshot = Snapshot(dict(counts), at, tuple(recent))
    decision = decide(policy, snapshot, channel=channel, frequency=frequency or "", at=at)
    return PressureVerdict(decision.allowed, decision.reason, decision.retry_at)


def same_verdict(ours: Any, theirs: Any) -> bool:
    # The two sums of the score differ in the last bits: a time found by bisection on one
    # or the other may differ by the search's precision (a minute).
    if (ours.allowed, ours.reason) != (theirs.allowed, theirs.reason):
        return False
    if ours.retry_at is None or theirs.retry_at is None:
        return ours.retry_at == theirs.retry_at
    return abs(ours.retry_at - theirs.retry_at) <= timedelta(minutes=1)


def timed(check: Callable[..., Any], customers: list[Any], repeat: int) -> tuple[float, list]:
    """Return the median seconds of a pass over every customer, and the verdicts."""
    samples, verdicts = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        verdicts = [check(customer=c, channel="email", kind="marketing", at=AT) for c in customers]
        samples.append(time.perf_counter() - started)
    return sorted(samples)[len(samples) // 2], verdicts


def queries_per_check(check: Callable[..., Any], customers: list[Any]) -> float:
    from django.db import connection

    executed = 0

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        for customer in customers:
            check(customer=customer, channel="email", kind="marketing", at=AT)
    return executed / len(customers)


def time_round_trips(count: int) -> float:
    """Return the seconds of the cheapest query, to read the others against (a loaded host)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for _ in range(count):
            cursor.execute("SELECT 1")
            cursor.fetchone()
    return (time.perf_counter() - started) / count


def time_records(customers: list[Any], *, one_transaction: bool) -> float:
    """Return the seconds per record_solicitation, each committed alone or all in one."""
    from django.db import transaction

    from comptoir.consents.pressure import record_solicitation

    started = time.perf_counter()
    with transaction.atomic() if one_transaction else nullcontext():
        for customer in customers:
            record_solicitation(customer=customer, channel="email", kind="marketing", at=AT)
    return (time.perf_counter() - started) / len(customers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--history", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from comptoir.consents.pressure import check_pressure
    from comptoir.customers.models import Customer

    started = time.perf_counter()
    customers = load(args.customers, args.history)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(
        f"{connection.vendor}: {args.customers:,} customers × {args.history} solicitations "
        f"loaded in {time.perf_counter() - started:.0f} s; check of a marketing email, "
        f"median of {args.repeat} passes"
    )
    try:
        # The first check imports the public holidays' tables: not a cost per message.
        check_pressure(customer=customers[0], channel="email", kind="marketing", at=AT)
        ours, our_verdicts = timed(check_pressure, customers, args.repeat)
        naive, naive_verdicts = timed(naive_check, customers, args.repeat)
        held = sum(not verdict.allowed for verdict in our_verdicts)
        print(f"{'check':<34} {'µs/message':>11} {'queries/message':>16}")
        for name, seconds, check in (
            ("ours (state row)", ours, check_pressure),
            ("naive (scan of the history)", naive, naive_check),
        ):
            per_message = seconds / len(customers) * 1e6
            queries = queries_per_check(check, customers)
            print(f"{name:<34} {per_message:>11.0f} {queries:>16.1f}")
        floor = time_round_trips(len(customers))
        print(f"{'(floor: one SELECT 1 per message)':<34} {floor * 1e6:>11.0f} {1:>16.1f}")
        print(f"ratio naive/ours: {naive / ours:.1f}×")
        agree = all(map(same_verdict, our_verdicts, naive_verdicts))
        for ours_, theirs in zip(our_verdicts, naive_verdicts, strict=True):
            if not same_verdict(ours_, theirs):
                print(f"  differ: ours {ours_} naive {theirs}", file=sys.stderr)
                break
        print(f"verdicts agree: {agree} ({held:,} of {len(customers):,} held back)")
        # The sending path records inside the delivery's transaction: its commit is not ours.
        alone = time_records(customers[:500], one_transaction=False)
        batched = time_records(customers[500:1000] or customers[:500], one_transaction=True)
        print(
            f"record_solicitation (history row + state row under lock): {batched * 1e6:.0f} "
            f"µs/solicitation in a transaction, {alone * 1e6:.0f} µs committed alone"
        )
    finally:
        if os.environ.get("DATABASE_URL"):
            Customer.objects.filter(pk__in=[c.pk for c in customers]).delete()


if __name__ == "__main__":
    main()
