"""KPI dashboard benchmark: a year of a busy desk, on SQLite and PostgreSQL.

Generates 200,000 conversations over the last 365 days in 4 teams (about 92 % answered,
85 % resolved, first responses from minutes to days, SLA due times) and their events
(replied by one of 40 agents, reopened, forwarded to an internal service, satisfaction
rated), about 2.4 events a conversation, with bulk inserts. Then times, in the same process:

- ours: `insights.kpis.build_dashboard()` for the year, per week and per month (grouped
  queries; the durations fetched as one column for the percentiles);
- baseline: the naive way, one loop over the conversations of the year reading each one's
  events (a query per conversation), computing the same figures in Python.

Both must agree on the totals; the script checks it. Each database runs in its own process
(SQLite in a temporary file, PostgreSQL in `comptoir_bench_kpis`, dropped afterwards).

    .venv/bin/python bench/kpis.py [--conversations 200000] [--database sqlite|postgres|both]
                                   [--repeat 3] [--no-baseline]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "comptoir_bench_kpis"
AGENTS, TEAMS, CUSTOMERS = 40, 4, 20_000


def load(conversations: int) -> None:
    from django.utils import timezone

    from comptoir.agents.models import Agent
    from comptoir.conversations.models import Conversation, ConversationEvent
    from comptoir.customers.models import Customer
    from comptoir.teams.models import Team

    Kind = ConversationEvent.Kind
    # The history is written as it happened: created_at must be the generated time, not now.
    Conversation._meta.get_field("created_at").auto_now_add = False
    rng = random.Random(42)
    now = timezone.now()
    teams = [Team.objects.get(is_default=True)]
    teams += [Team.objects.create(name=f"Équipe {number}") for number in range(2, TEAMS + 1)]
    agents = Agent.objects.bulk_create(
        Agent(username=f"agent{number}", first_name=f"Agent {number}", role="agent")
        for number in range(AGENTS)
    )
    customers = Customer.objects.bulk_create(
        (Customer(first_name=f"Client {number}") for number in range(CUSTOMERS)), batch_size=5000
    )
    hour = timedelta(hours=1)
    batch: list[Conversation] = []
    plans: list[dict[str, object]] = []

    def flush() -> None:
        Conversation.objects.bulk_create(batch, batch_size=2000)
        events = []
        for conversation, plan in zip(batch, plans, strict=True):
            agent = plan["agent"]
            if conversation.first_response_at:
                events.append(ConversationEvent(conversation=conversation, kind=Kind.REPLIED,
                                                actor=agent, at=conversation.first_response_at))  # fmt: skip
            if plan["forwarded"]:
                events.append(ConversationEvent(conversation=conversation, kind=Kind.FORWARDED,
                                                actor=agent, at=conversation.created_at + hour))  # fmt: skip
            if plan["reopened"]:
                events.append(ConversationEvent(conversation=conversation, kind=Kind.REOPENED,
                                                at=conversation.created_at + 30 * hour))  # fmt: skip
            if conversation.resolved_at:
                events.append(ConversationEvent(conversation=conversation,
                                                kind=Kind.STATUS_CHANGED, actor=agent,
                                                at=conversation.resolved_at,
                                                data={"from": "open", "to": "resolved"}))  # fmt: skip
            if plan["rating"]:
                events.append(ConversationEvent(conversation=conversation,
                                                kind=Kind.SATISFACTION_RATED,
                                                at=conversation.resolved_at,
                                                data={"rating": plan["rating"],
                                                      "satisfied": plan["rating"] >= 4}))  # fmt: skip
        ConversationEvent.objects.bulk_create(events, batch_size=2000)
        batch.clear()
        plans.clear()

    for number in range(conversations):
        created = now - timedelta(days=365 * rng.random())
        answered = rng.random() < 0.92
        first_response = created + hour * rng.lognormvariate(0.5, 1.2) if answered else None
        resolved = (
            first_response + hour * rng.lognormvariate(2, 1.3)
            if answered and rng.random() < 0.92
            else None
        )
        if resolved and resolved > now:
            resolved = None
        status = "closed" if resolved else rng.choice(["new", "open", "waiting"])
        batch.append(
            Conversation(
                customer=customers[number % CUSTOMERS],
                subject=f"Demande {number}",
                team=teams[number % TEAMS],
                status=status,
                created_at=created,
                last_message_at=resolved or first_response or created,
                first_response_at=first_response,
                first_response_due_at=created + 2 * hour * (1 + rng.random()),
                resolved_at=resolved,
            )
        )
        plans.append(
            {
                "agent": agents[rng.randrange(AGENTS)],
                "forwarded": rng.random() < 0.08,
                "reopened": bool(resolved) and rng.random() < 0.05,
                "rating": rng.randint(1, 5) if resolved and rng.random() < 0.3 else 0,
            }
        )
        if len(batch) == 10_000:
            flush()
    if batch:
        flush()


def naive_totals(selection: object) -> dict[str, object]:
    """The baseline: every conversation of the period, its events read one by one."""
    from django.utils import timezone

    from comptoir.conversations.models import Conversation, ConversationEvent
    from comptoir.insights.kpis import percentile

    Kind = ConversationEvent.Kind
    figures: dict[tuple[int | None, object], dict[str, object]] = defaultdict(
        lambda: {
            "received": 0,
            "answered": 0,
            "forwarded": 0,
            "resolved": 0,
            "reopened": 0,
            "sla_met": 0,
            "sla_measured": 0,
            "csat": [],
            "agents": set(),
            "first": [],
            "resolution": [],
        }  # fmt: skip
    )
    conversations = Conversation.objects.filter(
        created_at__gte=selection.start, created_at__lt=selection.end
    )
    for conversation in conversations.iterator(chunk_size=2000):
        local = timezone.localtime(conversation.created_at, selection.time_zone).date()
        cell = figures[(conversation.team_id, local - timedelta(days=local.weekday()))]
        events = list(conversation.events.all())
        kinds = {event.kind for event in events}
        cell["received"] += 1
        if conversation.first_response_at:
            cell["answered"] += 1
            cell["first"].append(
                (conversation.first_response_at - conversation.created_at) / timedelta(hours=1)
            )
            if conversation.first_response_due_at:
                cell["sla_measured"] += 1
                cell["sla_met"] += (
                    conversation.first_response_at <= conversation.first_response_due_at
                )
        if conversation.resolved_at:
            cell["resolved"] += 1
            cell["reopened"] += Kind.REOPENED in kinds
            cell["resolution"].append(
                (conversation.resolved_at - conversation.created_at) / timedelta(hours=1)
            )
        cell["forwarded"] += Kind.FORWARDED in kinds
        for event in events:
            if event.kind == Kind.REPLIED and event.actor_id:
                cell["agents"].add(event.actor_id)
            if event.kind == Kind.SATISFACTION_RATED:
                cell["csat"].append(bool(event.data.get("satisfied")))
    first = [hours for cell in figures.values() for hours in cell["first"]]
    return {
        "received": sum(cell["received"] for cell in figures.values()),
        "answered": sum(cell["answered"] for cell in figures.values()),
        "first_response_median": percentile(first, 0.5),
        "first_response_p90": percentile(first, 0.9),
        "csat_count": sum(len(cell["csat"]) for cell in figures.values()),
    }  # fmt: skip


def child(database: str, conversations: int, repeat: int, baseline: bool) -> dict[str, object]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection
    from django.utils import timezone

    from comptoir.agents.models import Agent
    from comptoir.insights.kpis import Granularity, Selection, build_dashboard

    started = time.perf_counter()
    load(conversations)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result: dict[str, object] = {"load_seconds": time.perf_counter() - started}
    admin = Agent.objects.create_user(username="manager", role="admin")
    today = timezone.localdate()
    for granularity in (Granularity.WEEK, Granularity.MONTH):
        selection = Selection(
            date_from=today - timedelta(days=364), date_to=today, granularity=granularity
        )
        samples = []
        for _ in range(repeat):
            begun = time.perf_counter()
            board = build_dashboard(selection, agent=admin)
            samples.append(time.perf_counter() - begun)
        result[f"ours_{granularity.value}"] = sorted(samples)[len(samples) // 2]
        figures = board.total.figures
        result["ours_totals"] = {
            "received": figures.received,
            "answered": figures.answered,
            "first_response_median": figures.first_response_median,
            "first_response_p90": figures.first_response_p90,
            "csat_count": figures.csat_count,
        }
    if baseline:
        selection = Selection(date_from=today - timedelta(days=364), date_to=today)
        begun = time.perf_counter()
        result["naive_totals"] = naive_totals(selection)
        result["naive_week"] = time.perf_counter() - begun
    return result


def run_child(database: str, args: argparse.Namespace) -> dict[str, object]:
    env = {**os.environ, "COMPTOIR_LOG_LEVEL": "WARNING", "PYTHONPATH": str(HERE.parent)}
    env["COMPTOIR_DATA_DIR"] = tempfile.mkdtemp(prefix="comptoir-bench-kpis-")
    env.pop("DATABASE_URL", None)
    if database == "postgres":
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            connection.execute(f"CREATE DATABASE {DATABASE}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    command = [sys.executable, __file__, "--child", database, "--conversations",
               str(args.conversations), "--repeat", str(args.repeat)]  # fmt: skip
    if args.no_baseline:
        command.append("--no-baseline")
    try:
        output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    finally:
        if database == "postgres":
            import psycopg

            with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=200_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args.conversations, args.repeat, not args.no_baseline)
        print(json.dumps(result, default=str))
        return

    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(f"{args.conversations:,} conversations over 365 days, {TEAMS} teams, {AGENTS} agents")
    print(f"{'database':<10} {'load s':>7} {'ours/week s':>12} {'ours/month s':>13} "
          f"{'naive loop s':>13} {'ratio':>6}")  # fmt: skip
    for database in databases:
        result = run_child(database, args)
        naive = result.get("naive_week")
        ratio = f"{naive / result['ours_week']:.0f}×" if naive else "—"
        naive_text = f"{naive:.1f}" if naive else "—"
        print(f"{database:<10} {result['load_seconds']:>7.0f} {result['ours_week']:>12.2f} "
              f"{result['ours_month']:>13.2f} {naive_text:>13} {ratio:>6}")  # fmt: skip
        if naive:
            ours, theirs = result["ours_totals"], result["naive_totals"]
            agree = all(
                # Ours rounds durations to the second (the database computes them).
                abs(ours[key] - theirs[key]) < 1 / 3600 if isinstance(ours[key], float)
                else ours[key] == theirs[key]
                for key in ours
            )  # fmt: skip
            print(f"           totals agree: {agree} {ours}")


if __name__ == "__main__":
    main()
