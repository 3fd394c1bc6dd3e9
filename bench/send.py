"""Send benchmark: a campaign through the whole sending path into a local SMTP sink.

    .venv/bin/python bench/send.py --recipients 100000              # SQLite (a temp file)
    .venv/bin/python bench/send.py --recipients 100000 --database postgres
    .venv/bin/python bench/send.py --recipients 5000 --baseline 500  # quick

The whole path: messaging.sending.send_outbound_many in chunks (consent, suppression list,
pressure, channel, dedupe, deliveries recorded) then messaging.dispatch.send_deliveries in
chunks (claim, consent again, quality gate per version, render, email adapter, status), into
an aiosmtpd sink running in a process of its own: its CPU is visible, and it shares the
machine's cores with the sender (and PostgreSQL's server when used).

Printed, in the same run: decide msg/s, send msg/s, end-to-end msg/s, with and without
DKIM, and with two sending processes; what the sink received (every recipient once); the
pressure check's cost per message; and the baseline, the path one message at a time
(send_outbound then send_delivery) on a sample, plus a template rendered in full per
customer (the rendering before it was compiled once).

Each database run is a fresh process on a throwaway database: a temporary SQLite file, or
the PostgreSQL database named by --postgres-database (dropped and created again).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DKIM_DOMAIN, DKIM_SELECTOR = "shop.example", "bench"


# --- The sink: its own process ------------------------------------------------------------


def run_sink(port: int, report: Path, keep: int) -> None:
    """Count what arrives; on SIGTERM write the counts (and a few messages) to `report`."""
    from aiosmtpd.controller import Controller

    class Counter:
        def __init__(self) -> None:
            self.received = 0
            self.recipients: set[str] = set()
            self.kept: list[str] = []

        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd)
            self.received += 1
            self.recipients.update(envelope.rcpt_tos)
            if len(self.kept) < keep:
                self.kept.append(envelope.original_content.decode("utf-8", "replace"))
            return "250 2.0.0 Ok"

    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)

    def stop(*_args: object) -> None:
        controller.stop()
        cpu = time.process_time()
        report.write_text(
            json.dumps(
                {
                    "received": counter.received,
                    "recipients": len(counter.recipients),
                    "cpu_seconds": cpu,
                    "kept": counter.kept,
                }
            )
        )
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    while True:
        time.sleep(3600)


class Sink:
    """A sink process for one measurement."""

    def __init__(self, keep: int = 0) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.report = Path(tempfile.mkstemp(prefix="sink-", suffix=".json")[1])
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--sink", str(self.port), str(self.report), str(keep)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()  # "ready"

    def stop(self) -> dict:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return json.loads(self.report.read_text())


# --- One database run: a child process with Django ----------------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def make_population(count: int) -> list:
    """Customers with an email address and marketing consent, inserted in bulk."""
    from django.utils import timezone

    from comptoir.consents.models import ConsentRecord, ConsentStatus, Purpose, Source
    from comptoir.customers.models import Customer, Identity, Store

    stores = [
        Store.objects.create(name=name, city=city, phone=phone, opening_hours="de 10 h à 19 h")
        for name, city, phone in [
            ("Lyon Part-Dieu", "Lyon", "04 78 00 00 00"),
            ("Nantes Atlantis", "Nantes", "02 40 00 00 00"),
            ("Lille Grand Place", "Lille", ""),
        ]
    ]
    first_names = ["Jeanne", "Paul", "Léa", "", "Karim", "Chloé", "Hugo", "Inès", "Noé", ""]
    collected = timezone.now() - timezone.timedelta(days=30)
    people = []
    for start in range(0, count, 5000):
        batch = Customer.objects.bulk_create(
            Customer(
                first_name=first_names[n % len(first_names)],
                last_name=f"Client{n}",
                store=stores[n % len(stores)] if n % 7 else None,
            )
            for n in range(start, min(count, start + 5000))
        )
        Identity.objects.bulk_create(
            Identity(customer=c, kind=Identity.Kind.EMAIL, value=f"client{n}@example.net")
            for n, c in enumerate(batch, start)
        )
        ConsentRecord.objects.bulk_create(
            ConsentRecord(
                customer=c,
                purpose=Purpose.MARKETING,
                channel="email",
                status=ConsentStatus.GRANTED,
                source=Source.FORM,
                collected_at=collected,
            )
            for c in batch
        )
        people.extend(batch)
    return people


class PressureMeter:
    """Times the pressure work of the sending path and counts its queries: check_pressure
    one message at a time, and a batch's PressureBatch (its read of the chunk's rows, its
    checks, its records and its write). `calls` counts the checks."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0
        self.queries = 0
        self.inside = False

    def timed(self, function, *, is_check: bool):
        def wrapper(*args, **kwargs):
            self.inside = True
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += is_check
                self.inside = False

        return wrapper

    def install(self) -> None:
        from django.db import connection

        from comptoir.consents.pressure import PressureBatch
        from comptoir.messaging import sending

        sending.check_pressure = self.timed(sending.check_pressure, is_check=True)
        PressureBatch.__init__ = self.timed(PressureBatch.__init__, is_check=False)
        PressureBatch.check = self.timed(PressureBatch.check, is_check=True)
        PressureBatch.record = self.timed(PressureBatch.record, is_check=False)
        PressureBatch.save = self.timed(PressureBatch.save, is_check=False)

        def count(execute, sql, params, many, context):
            if self.inside:
                self.queries += 1
            return execute(sql, params, many, context)

        connection.execute_wrappers.append(count)


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def configure_smtp(port: int) -> None:
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 30


def adapter_signs() -> bool:
    """Whether the email adapter signs with DKIM itself (the transport work of issue 4)."""
    from django.conf import settings

    return hasattr(settings, "COMPTOIR_DKIM_DOMAIN")


def dkim_key() -> tuple[bytes, bytes]:
    """A fresh 2048-bit RSA test key (openssl): (private PEM, public key for the DNS record)."""
    import base64

    private = subprocess.run(
        ["openssl", "genrsa", "-traditional", "2048"], check=True, capture_output=True
    ).stdout
    public = subprocess.run(
        ["openssl", "rsa", "-pubout", "-outform", "DER"],
        input=private,
        check=True,
        capture_output=True,
    ).stdout
    return private, base64.b64encode(public)


class BenchAdapter:
    """Until the email adapter keeps its SMTP connection open and signs (the transport work
    of issue 4), the bench's stand-in does: the adapter's own email (build_email), signed with
    dkimpy when a key is given, sent over one Django SMTP connection kept open."""

    def __init__(self, private_key: bytes | None = None) -> None:
        self.private_key = private_key
        self.connection = None

    def send(self, delivery, outgoing) -> None:
        import dkim
        from django.core.mail import get_connection

        from comptoir.mail.outbound import build_email

        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
            self.connection.open()
        email = build_email(delivery, outgoing)
        raw = email.message().as_bytes(linesep="\r\n")
        if self.private_key:
            raw = (
                dkim.sign(
                    raw,
                    DKIM_SELECTOR.encode(),
                    DKIM_DOMAIN.encode(),
                    self.private_key,
                    canonicalize=(b"relaxed", b"relaxed"),
                )
                + raw
            )
        self.connection.connection.sendmail(email.from_email, email.to, raw)


def verify_dkim(kept: list[str], public_key: bytes) -> str:
    import dkim

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return b"v=DKIM1; k=rsa; p=" + public_key

    results = [dkim.verify(raw.encode(), dnsfunc=dns) for raw in kept]
    return f"{sum(results)}/{len(results)} signatures verified"


def decide(template, campaign, people: list, chunk: int, context: dict) -> tuple[list[int], float]:
    from comptoir.messaging.models import Delivery
    from comptoir.messaging.sending import Outbound, send_outbound_many

    queued: list[int] = []
    started = time.perf_counter()
    for part in chunks(people, chunk):
        deliveries = send_outbound_many(
            [Outbound(template, person, campaign=campaign, context=context) for person in part]
        )
        queued.extend(d.pk for d in deliveries if d.status == Delivery.Status.QUEUED)
    return queued, time.perf_counter() - started


def send(ids: list[int], chunk: int, adapter) -> float:
    from comptoir.messaging.dispatch import send_deliveries

    started = time.perf_counter()
    for part in chunks(ids, chunk):
        send_deliveries(part, adapter=adapter)
    return time.perf_counter() - started


def send_in_processes(
    ids: list[int], chunk: int, processes: int, private_key: bytes | None
) -> float:
    """Send with several worker processes, each taking every n-th chunk."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    parts = [list(chunks(ids, chunk))[n::processes] for n in range(processes)]
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    workers = [context.Process(target=send_part, args=(part, private_key)) for part in parts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def send_part(part: list[list[int]], private_key: bytes | None) -> None:
    adapter = None if adapter_signs() else BenchAdapter(private_key)
    for ids in part:
        send(ids, len(ids), adapter)


def full_render_ms(template, people: list, context: dict, count: int) -> tuple[float, float]:
    """Milliseconds per message: rendered in full (MJML per customer), and compiled once."""
    from comptoir.messaging import rendering
    from comptoir.messaging.plain_text import html_to_plain_text

    blocks = rendering.current_blocks()
    sample = people[:count]
    started = time.perf_counter()
    for person in sample:
        ctx = rendering.build_context(template=template, customer=person, event=None, extra=context)
        html = rendering.render_in_full(template.body, ctx, blocks)
        html_to_plain_text(html)
    full = (time.perf_counter() - started) / len(sample) * 1000
    started = time.perf_counter()
    with rendering.blocks_read_once():
        for person in sample * 10:
            rendering.render_message(template=template, customer=person, extra=context)
    fast = (time.perf_counter() - started) / (len(sample) * 10) * 1000
    return full, fast


def run_database(args: argparse.Namespace) -> None:
    setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from comptoir.campaigns.models import Campaign
    from comptoir.customers.models import Customer
    from comptoir.messaging.dispatch import send_delivery
    from comptoir.messaging.models import Delivery, MessageTemplate
    from comptoir.messaging.sending import Outbound, send_outbound
    from comptoir.messaging.services import load_catalogue

    out: dict = {
        "database": connection.vendor,
        "recipients": args.recipients,
        "chunk": args.chunk,
    }
    call_command("migrate", verbosity=0)
    load_catalogue()
    started = time.perf_counter()
    people = make_population(args.recipients + args.baseline)
    out["setup_seconds"] = round(time.perf_counter() - started, 1)
    people = list(
        Customer.objects.filter(pk__in=[p.pk for p in people])
        .select_related("store")
        .prefetch_related("identities")
        .order_by("pk")
    )
    campaign_people, baseline_people = people[: args.recipients], people[args.recipients :]
    template = MessageTemplate.objects.get(slug=args.template)
    context = {"event": template.sample_event}
    out["render_full_ms"], out["render_compiled_ms"] = full_render_ms(
        template, campaign_people, context, 20
    )

    # Baseline: the path one message at a time, on a sample.
    if args.baseline:
        sink = Sink()
        configure_smtp(sink.port)
        baseline = Campaign.objects.create(name="baseline", template=template)
        started = time.perf_counter()
        for person in baseline_people:
            delivery = send_outbound(Outbound(template, person, campaign=baseline, context=context))
            send_delivery(delivery.pk)
        seconds = time.perf_counter() - started
        got = sink.stop()
        out["baseline"] = {
            "messages": len(baseline_people),
            "rate": len(baseline_people) / seconds,
            "received": got["received"],
        }
        # The batch path on the same number of messages, with the email adapter as it is.
        sink = Sink()
        configure_smtp(sink.port)
        batch = Campaign.objects.create(name="batch, adapter as it is", template=template)
        ids, decide_seconds = decide(template, batch, baseline_people, args.chunk, context)
        send_seconds = send(ids, args.chunk, None)
        got = sink.stop()
        out["batch_with_adapter_as_is"] = {
            "messages": len(ids),
            "rate": len(ids) / (decide_seconds + send_seconds),
            "send_rate": len(ids) / send_seconds,
            "received": got["received"],
        }

    meter = PressureMeter()
    meter.install()
    queries = QueryCounter()
    private_key, public_key = dkim_key()

    # Decide: the whole campaign, every recipient, in chunks.
    campaign = Campaign.objects.create(name="bench", template=template)
    cpu = time.process_time()
    with connection.execute_wrapper(queries):
        ids, decide_seconds = decide(template, campaign, campaign_people, args.chunk, context)
    out["decide"] = {
        "queued": len(ids),
        "rate": len(ids) / decide_seconds,
        "queries_per_message": queries.count / len(ids),
        "cpu_ms_per_message": (time.process_time() - cpu) / len(ids) * 1000,
        "pressure_checks": meter.calls,
        "pressure_us_per_check": meter.seconds / max(1, meter.calls) * 1e6,
        "pressure_queries_per_check": meter.queries / max(1, meter.calls),
    }

    # Send: each way of sending takes its slice of the queued deliveries.
    modes = [("no_dkim", 1), ("dkim", 1), ("no_dkim", args.processes)]
    modes = modes if args.processes > 1 else modes[:2]
    size = args.send or -(-len(ids) // len(modes))
    for number, (mode, processes) in enumerate(modes):
        name = f"{mode}_{processes}p"
        part = ids[number * size : (number + 1) * size]
        sink = Sink(keep=5)
        configure_smtp(sink.port)
        adapter = None
        if not adapter_signs():
            adapter = BenchAdapter(private_key if mode == "dkim" else None)
        elif mode == "dkim":
            settings.COMPTOIR_DKIM_DOMAIN = DKIM_DOMAIN
            settings.COMPTOIR_DKIM_SELECTOR = DKIM_SELECTOR
            settings.COMPTOIR_DKIM_PRIVATE_KEY = private_key.decode()
        else:
            settings.COMPTOIR_DKIM_DOMAIN = ""
        queries.count = 0
        cpu = time.process_time()
        with connection.execute_wrapper(queries):
            if processes == 1:
                send_seconds = send(part, args.chunk, adapter)
            else:
                send_seconds = send_in_processes(
                    part, args.chunk, processes, private_key if mode == "dkim" else None
                )
        cpu = time.process_time() - cpu
        got = sink.stop()
        statuses = dict(
            Delivery.objects.filter(pk__in=part).values_list("status").annotate(n=Count("id"))
        )
        send_rate = len(part) / send_seconds
        out[name] = {
            "queued": len(part),
            "send_rate": send_rate,
            "end_to_end_rate": 1 / (1 / out["decide"]["rate"] + 1 / send_rate),
            "send_queries_per_message": queries.count / len(part) if processes == 1 else None,
            "cpu_ms_per_message": cpu / len(part) * 1000 if processes == 1 else None,
            "received": got["received"],
            "distinct_recipients": got["recipients"],
            "sink_cpu_ms_per_message": got["cpu_seconds"] / max(1, got["received"]) * 1000,
            "statuses": statuses,
            "signed_by": ("adapter" if adapter_signs() else "bench's stand-in (dkimpy)")
            if mode == "dkim"
            else "",
            "dkim_check": verify_dkim(got["kept"], public_key) if mode == "dkim" else "",
        }
    out["adapter"] = (
        "the email adapter (it signs and keeps its connection)"
        if adapter_signs()
        else "the bench's stand-in adapter: build_email + dkimpy + one SMTP connection kept open"
    )
    print(json.dumps(out))


# --- The orchestrator ------------------------------------------------------------------------


def recreate_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def measure(database: str, args: argparse.Namespace) -> dict:
    data_dir = tempfile.mkdtemp(prefix="comptoir-bench-send-")
    env = {
        **os.environ,
        "COMPTOIR_DATA_DIR": data_dir,
        "COMPTOIR_LOG_LEVEL": "ERROR",
        "COMPTOIR_SUPPORT_ADDRESS": "service-client@shop.example",
        "COMPTOIR_COMPANY_WEBSITE": "https://www.shop.example",
    }
    if database == "postgres":
        env["DATABASE_URL"] = recreate_postgres(args.postgres_database)
    else:
        env.pop("DATABASE_URL", None)
    command = [sys.executable, __file__, "--child", *sys.argv[1:]]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO)
    if result.returncode:
        sys.exit(f"the {database} run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(result: dict) -> None:
    print(f"\n## {result['database']}: {result['recipients']:,} recipients")
    print(f"setup (customers, addresses, consents in bulk): {result['setup_seconds']} s")
    print(
        f"rendering per message: {result['render_full_ms']:.1f} ms in full (MJML per customer), "
        f"{result['render_compiled_ms']:.3f} ms compiled once"
    )
    decided = result["decide"]
    print(
        f"decide (send_outbound_many, chunks of {result['chunk']}): {decided['queued']} queued, "
        f"{decided['rate']:.0f} msg/s, {decided['queries_per_message']:.3f} queries/msg, "
        f"{decided['cpu_ms_per_message']:.2f} ms CPU/msg"
    )
    print(
        f"pressure: {decided['pressure_checks']} checks, {decided['pressure_us_per_check']:.1f} "
        f"µs and {decided['pressure_queries_per_check']:.2f} queries per check (reading, "
        "checking, recording and writing the state rows, per check)"
    )
    print(
        "| send run | messages | send msg/s | end-to-end msg/s | queries/msg | sender CPU ms/msg "
        "| sink CPU ms/msg | received | distinct |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    total = 0
    for name, run in result.items():
        if not isinstance(run, dict) or "send_rate" not in run or name.startswith("batch"):
            continue
        total += run["received"]
        queries, cpu = run["send_queries_per_message"], run["cpu_ms_per_message"]
        print(
            f"| {name} | {run['queued']} | {run['send_rate']:.0f} | {run['end_to_end_rate']:.0f} | "
            f"{'-' if queries is None else f'{queries:.3f}'} | "
            f"{'-' if cpu is None else f'{cpu:.2f}'} | {run['sink_cpu_ms_per_message']:.2f} | "
            f"{run['received']} | {run['distinct_recipients']} |"
        )
        if run["dkim_check"]:
            print(f"  DKIM signed by the {run['signed_by']}; {run['dkim_check']}")
        lost = run["queued"] - run["received"]
        duplicated = run["received"] - run["distinct_recipients"]
        print(f"  {name}: statuses {run['statuses']}; lost {lost}, duplicated {duplicated}")
    print(f"received in all: {total} of {decided['queued']} queued")
    if "baseline" in result:
        base, batch = result["baseline"], result["batch_with_adapter_as_is"]
        print(
            f"baseline, one message at a time (send_outbound + send_delivery, the email "
            f"adapter as it is), {base['messages']} messages: {base['rate']:.0f} msg/s end to "
            f"end, received {base['received']}"
        )
        print(
            f"batch path, same adapter, {batch['messages']} messages: {batch['rate']:.0f} msg/s "
            f"end to end (send {batch['send_rate']:.0f} msg/s), received {batch['received']}"
        )
    print(f"send runs: {result['adapter']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=2_000, help="messages one at a time")
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--processes", type=int, default=2, help="sending processes, 3rd run")
    parser.add_argument(
        "--send", type=int, default=0, help="messages per send run (default: a third each)"
    )
    parser.add_argument("--template", default="live-session-invitation")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--postgres-database", default="comptoir_speed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sink", nargs=3, help=argparse.SUPPRESS)
    if "--sink" in sys.argv:
        port, path, keep = sys.argv[sys.argv.index("--sink") + 1 :][:3]
        run_sink(int(port), Path(path), int(keep))
        return
    args = parser.parse_args()
    if args.child:
        run_database(args)
        return
    print(f"bench/send: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for database in databases:
        report(measure(database, args))


if __name__ == "__main__":
    main()
