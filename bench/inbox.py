"""Inbox benchmark: the agent inbox list on 1,000,000 conversations in PostgreSQL.

Loads a desk with years of history in one SQL statement per table (INSERT … SELECT over
generate_series: 200,000 customers, 1,000,000 conversations, 40 agents in 4 teams; 95 % of
the conversations resolved or closed over three years, the active ones from the last two
weeks with their SLA due times), then times what the inbox view does for each tab:
`conversations.queries.list_conversations()` through Django's Paginator (the page's rows,
with customer, assignee and identities, and the paginator's count), on the first page and
a deep page, and the tab counts (`count_inbox_views`). Each figure is the p50 and p99 of
--repeat runs in this process. Baselines from the same run: the same first page without
the index it relies on (dropped inside a transaction that is rolled back), and the deep
page (OFFSET) against the first.

    .venv/bin/python bench/inbox.py [--conversations 1000000] [--customers 200000]
                                    [--repeat 50] [--keep] [--reuse]

The database is `comptoir_bench_inbox`, dropped at the end unless --keep; --reuse skips the
load when a kept database is already there.
"""

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "comptoir_bench_inbox"
BENCH_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
AGENTS, TEAMS, PAGE_SIZE = 40, 4, 50

CUSTOMERS_SQL = """
INSERT INTO customers_customer (created_at, updated_at, kind, first_name, last_name,
    company_name, language, age_bracket, custom_fields, market)
SELECT now() - n %% 2000 * interval '12 hours', now(), 'person',
       (ARRAY['Jeanne','Paul','Élodie','Karim','Sophie','Luc','Chloé','Hugo','Inès'])[1 + n %% 9],
       (ARRAY['Martin','Bernard','Dubois','Thomas','Robert','Petit','Durand','Leroy'])[1 + n / 9 %% 8],
       '', 'fr', '', '{}'::jsonb, 'b2c'
FROM generate_series(1, %(customers)s) AS n
"""

# Statuses: 1 % new, 1.5 % open, 2.5 % waiting on the customer, 5 % resolved, 90 % closed.
# Work still to do is recent (last two weeks); history spreads over three years. New
# conversations are mostly unassigned; everything else has an agent.
CONVERSATIONS_SQL = """
INSERT INTO conversations_conversation (created_at, updated_at, subject, channel, status,
    needs_attention, attention_reason, customer_id, sla_paused_for, assignee_id, team_id,
    last_message_at, first_response_at, first_response_due_at, resolution_due_at,
    sla_due_at, resolved_at)
SELECT created, created, 'Demande ' || n, CASE WHEN pick < 0.9 THEN 'email' ELSE 'phone' END,
       status, false, '', %(first_customer)s + n::bigint * 7919 %% %(customers)s, interval '0',
       CASE WHEN status = 'new' AND pick < 0.8 THEN NULL
            ELSE (%(agents)s::bigint[])[1 + floor(who * %(agent_count)s)::int] END,
       (%(teams)s::bigint[])[1 + floor(pick * %(team_count)s)::int],
       LEAST(now() - reply * interval '1 hour', created + reply * interval '3 days'),
       CASE WHEN status = 'new' THEN NULL ELSE created + reply * interval '4 hours' END,
       created + interval '2 hours',
       created + interval '3 days',
       CASE WHEN status = 'new' THEN created + interval '2 hours'
            WHEN status = 'open' THEN created + interval '3 days' END,
       CASE WHEN status IN ('resolved', 'closed')
            THEN LEAST(now(), created + reply * interval '3 days') END
FROM (
    SELECT n, pick, who, reply, status,
           CASE WHEN status IN ('new', 'open', 'waiting')
                THEN now() - age * interval '14 days'
                ELSE now() - interval '14 days' - age * interval '1081 days' END AS created
    FROM (
        SELECT n, random() AS pick, random() AS who, random() AS reply, random() AS age,
               CASE WHEN r < 0.01 THEN 'new' WHEN r < 0.025 THEN 'open'
                    WHEN r < 0.05 THEN 'waiting' WHEN r < 0.10 THEN 'resolved'
                    ELSE 'closed' END AS status
        FROM (SELECT n, random() AS r FROM generate_series(1, %(conversations)s) AS n) AS drawn
    ) AS kinds
) AS rows
"""


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Return p50 and p99 in milliseconds, after one warm-up run."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 0.5), percentile(samples, 0.99)


def create_database(drop_first: bool) -> bool:
    """Create the bench database; return True when it already held data (reuse)."""
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
        ).fetchone()
        if exists and not drop_first:
            return True
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    return False


def drop_database() -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")


def load(customers: int, conversations: int) -> None:
    from django.db import connection

    from comptoir.agents.models import Agent
    from comptoir.customers.models import Customer
    from comptoir.teams.models import Team

    started = time.perf_counter()
    teams = [Team.objects.get(is_default=True)]
    teams += [Team.objects.create(name=f"Équipe {number}") for number in range(2, TEAMS + 1)]
    agents = Agent.objects.bulk_create(
        Agent(username=f"agent{number}", first_name=f"Agent {number}", role="agent")
        for number in range(AGENTS)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(CUSTOMERS_SQL, {"customers": customers})
        first_customer = Customer.objects.order_by("pk").values_list("pk", flat=True).first()
        cursor.execute(
            CONVERSATIONS_SQL,
            {
                "conversations": conversations,
                "customers": customers,
                "first_customer": first_customer,
                "agents": [agent.pk for agent in agents],
                "agent_count": len(agents),
                "teams": [team.pk for team in teams],
                "team_count": len(teams),
            },
        )
        cursor.execute("VACUUM ANALYZE customers_customer")
        cursor.execute("VACUUM ANALYZE conversations_conversation")
    print(f"loaded {customers:,} customers, {conversations:,} conversations "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip


def inbox_page(
    view: object, agent: object, number: int, paginator: type | None = None
) -> Callable[[], object]:
    from comptoir.conversations import queries
    from comptoir.conversations.views import InboxPaginator

    def run() -> object:
        # What the view does: the page's rows (customer, assignee, identities) and the count
        # behind "Page n of N".
        conversations = queries.list_conversations(view=view, agent=agent)
        page = (paginator or InboxPaginator)(conversations, PAGE_SIZE).get_page(number)
        return len(list(page.object_list)), page.paginator.num_pages

    return run


def count_in_one_aggregate(agent: object) -> Callable[[], object]:
    """The tab counts as they were: one aggregate with a FILTER per view, no cap."""
    from django.db.models import Count

    from comptoir.conversations.models import Conversation
    from comptoir.conversations.queries import InboxView, inbox_filter

    def run() -> object:
        return Conversation.objects.aggregate(
            **{view.value: Count("pk", filter=inbox_filter(view, agent)) for view in InboxView}
        )

    return run


def without_index(name: str, function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Time the function with one index dropped, in a transaction rolled back afterwards."""
    from django.db import connection, transaction

    class Rollback(Exception):
        pass

    result: tuple[float, float] = (0.0, 0.0)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX {name}")
            result = timed(function, repeat)
            raise Rollback
    except Rollback:
        pass
    return result


def report(label: str, figures: tuple[float, float], goal_ms: float = 100) -> None:
    p50, p99 = figures
    mark = "" if p99 < goal_ms else "  over the goal"
    print(f"{label:<52} {p50:>9.1f} {p99:>9.1f}{mark}")


def measure(repeat: int) -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from comptoir.agents.models import Agent
    from comptoir.conversations import queries
    from comptoir.conversations.models import Conversation
    from comptoir.conversations.queries import InboxView

    agent = Agent.objects.get(username="agent0")
    counts = queries.count_inbox_views(agent)
    total = Conversation.objects.count()
    print(f"{total:,} conversations; tabs for agent0 (capped): "
          + ", ".join(f"{view.value} {count:,}" for view, count in counts.items()))  # fmt: skip
    print(f"{'ms':<52} {'p50':>9} {'p99':>9}")
    for view in InboxView:
        pages = -(-counts[view] // PAGE_SIZE)
        report(f"{view.value}: first page", timed(inbox_page(view, agent, 1), repeat))
        deep = max(1, min(pages, 200))
        report(
            f"{view.value}: page {deep} of {pages}", timed(inbox_page(view, agent, deep), repeat)
        )
    report(
        "tab counts (count_inbox_views)", timed(lambda: queries.count_inbox_views(agent), repeat)
    )

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(agent)
    url = reverse("conversations:inbox")

    def whole_page(query: str) -> Callable[[], object]:
        def run() -> object:
            response = client.get(url + query)
            assert response.status_code == 200
            return response

        return run

    report(
        "whole page, test client: ?view=unassigned", timed(whole_page("?view=unassigned"), repeat)
    )
    report("whole page, test client: ?view=resolved", timed(whole_page("?view=resolved"), repeat))

    print("baselines, same run:")
    from django.core.paginator import Paginator

    report(
        "tab counts, one aggregate with FILTER (before)",
        timed(count_in_one_aggregate(agent), repeat),
    )
    for view, index in [
        (InboxView.UNASSIGNED, "conv_unassigned_urgency"),
        (InboxView.OPEN, "conv_active_urgency"),
        (InboxView.RESOLVED, "conv_done_recent"),
    ]:
        report(
            f"{view.value}: first page without {index}",
            without_index(index, inbox_page(view, agent, 1), repeat),
        )
    report(
        "resolved: first page, exact count (Paginator)",
        timed(inbox_page(InboxView.RESOLVED, agent, 1, Paginator), repeat),
    )
    report(
        "resolved: page 2000, exact count (OFFSET 99,950)",
        timed(inbox_page(InboxView.RESOLVED, agent, 2000, Paginator), max(3, repeat // 5)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args()

    reused = create_database(drop_first=not args.reuse)
    os.environ["DATABASE_URL"] = BENCH_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    try:
        if not reused:
            load(args.customers, args.conversations)
        measure(args.repeat)
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
