"""Send benchmark: a campaign through the whole sending path into a local SMTP sink.

    .venv/bin/python bench/send.py --recipients 100000              # SQLite (a temp file)
    .venv/bin/python bench/send.py --recipients 100000 --database postgres
    .venv/bin/python bench/send.py --recipients 5000 --sample 1000 --baseline 200  # quick

The headline run is a campaign of --recipients customers run to the end by --processes
worker processes, each doing what a Comptoir worker does: take the campaign's next chunk
(campaigns.services.send_next_chunk: consent, suppression list, pressure, channel, dedupe,
deliveries recorded, cursor moved, in one transaction) and, once it has committed, send the
chunk's deliveries (the task it enqueues, messaging.dispatch.send_deliveries: claim, consent
again, quality gate, rendering, tracking links, MIME, SMTP, statuses). The task runs in the
same process right after the commit (django-tasks' immediate backend) instead of going
through the database queue to a db_worker: one task per 200 messages, the queue's cost is
not what is measured. Wall time from launch to the campaign's last status, so the figure
is the whole path, deciding and sending, on this machine's cores.

The sink is Postfix's smtp-sink (C, made to benchmark mail senders: it takes any message,
and dumps each transaction to a file the bench reads afterwards to count the recipients),
in a process of its own; without it (Debian's postfix package: `make bench-packages`),
aiosmtpd, whose own CPU (2–4 ms a message) then bounds the figures. The sink's CPU is
printed beside the sender's.

Then, one process at a time on a sample of other customers, the breakdown: deciding alone
(msg/s, queries, CPU and the pressure work per message), sending alone without and with
DKIM (a fresh 2048-bit key; five signatures verified from what the sink got); and in the
same run, the baseline: the path one message at a time (send_outbound then send_delivery),
and a template rendered in full per customer (the rendering before it was compiled once).

Each database run is a fresh process on a throwaway database: a temporary SQLite file, or
the PostgreSQL database named by --postgres-database (dropped and created again).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DKIM_DOMAIN, DKIM_SELECTOR = "shop.example", "bench"
SMTP_SINK = shutil.which("smtp-sink") or (
    "/usr/sbin/smtp-sink" if os.path.exists("/usr/sbin/smtp-sink") else None
)
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


# --- The sink: its own process ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"the SMTP sink did not listen on port {port}")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, from /proc (the sink is not our child in
    Python's accounting until it is reaped)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dump_place() -> str | None:
    """Memory (tmpfs) when it has room for 100,000 messages: on disk, the kernel's writeback
    of gigabytes of dump would take CPU from the measurement without showing in the sink's."""
    shm = Path("/dev/shm")
    if shm.is_dir() and shutil.disk_usage(shm).free > 8 * 1024**3:
        return str(shm)
    return None


class PostfixSink:
    """Postfix's smtp-sink, every transaction appended to one dump file."""

    name = "Postfix smtp-sink"

    def __init__(self, keep: int = 0) -> None:
        self.keep = keep
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="comptoir-sink-", dir=dump_place()))
        self.directory.chmod(0o777)  # smtp-sink writes as "nobody" when started as root
        self.dump = self.directory / "transactions"
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(
            [SMTP_SINK, *user, "-D", str(self.dump), f"127.0.0.1:{self.port}", "256"],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> dict:
        time.sleep(0.5)  # the last transactions written out after the senders' QUIT
        cpu = process_cpu_seconds(self.process.pid)
        self.process.terminate()
        self.process.wait(timeout=60)
        recipients = Counter()
        if self.dump.exists():
            found = subprocess.run(
                ["grep", "-a", "^X-Rcpt-Args: ", str(self.dump)], capture_output=True
            ).stdout.splitlines()
            recipients = Counter(found)
        kept = self.first_messages()
        shutil.rmtree(self.directory, ignore_errors=True)
        return {
            "received": sum(recipients.values()),
            "recipients": len(recipients),
            "cpu_seconds": cpu,
            "kept": kept,
        }

    def first_messages(self) -> list[str]:
        """The first transactions, as the sink got them after its own X- and Received lines."""
        if not self.keep or not self.dump.exists():
            return []
        with self.dump.open("rb") as dump:
            head = dump.read(self.keep * 200_000)
        # The last transaction read may be cut short: only those before it are whole.
        whole = head.split(b"\nX-Client-Addr: ")[:-1]
        kept = []
        for transaction in whole[: self.keep]:
            lines = transaction.split(b"\n")
            # The envelope lines and the sink's Received header (folded) come first.
            start = next(n for n, line in enumerate(lines) if line.startswith(b"Received:")) + 1
            while lines[start][:1] in (b" ", b"\t"):
                start += 1
            kept.append(b"\r\n".join(line.rstrip(b"\r") for line in lines[start:]).decode())
        return kept


def run_aiosmtpd_sink(port: int, report: Path, keep: int) -> None:
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
        report.write_text(
            json.dumps(
                {
                    "received": counter.received,
                    "recipients": len(counter.recipients),
                    "cpu_seconds": time.process_time(),
                    "kept": counter.kept,
                }
            )
        )
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    while True:
        time.sleep(3600)


class AiosmtpdSink:
    name = "aiosmtpd"

    def __init__(self, keep: int = 0) -> None:
        self.port = free_port()
        self.report = Path(tempfile.mkstemp(prefix="sink-", suffix=".json")[1])
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--sink-process",
                str(self.port),
                str(self.report),
                str(keep),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()  # "ready"

    def stop(self) -> dict:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return json.loads(self.report.read_text())


def start_sink(keep: int = 0, kind: str = "auto"):
    """A sink for one measurement, with the email adapter pointed at it."""
    use_postfix = kind == "postfix" or (kind == "auto" and SMTP_SINK is not None)
    sink = PostfixSink(keep) if use_postfix else AiosmtpdSink(keep)
    configure_smtp(sink.port)
    return sink


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
    ids = []
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
        ids.extend(c.pk for c in batch)
    return ids


def customers(ids: list[int]) -> list:
    from comptoir.customers.models import Customer

    return list(
        Customer.objects.filter(pk__in=ids)
        .select_related("store")
        .prefetch_related("identities")
        .order_by("pk")
    )


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

    from comptoir.mail.smtp_session import close_current_session

    close_current_session()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 30


def sign_with_dkim(private_key: bytes | None) -> None:
    from django.conf import settings

    settings.COMPTOIR_DKIM_DOMAIN = DKIM_DOMAIN if private_key else ""
    settings.COMPTOIR_DKIM_SELECTOR = DKIM_SELECTOR
    settings.COMPTOIR_DKIM_PRIVATE_KEY = private_key.decode() if private_key else ""


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


def verify_dkim(kept: list[str], public_key: bytes) -> str:
    import dkim

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return b"v=DKIM1; k=rsa; p=" + public_key

    results = [dkim.verify(raw.encode(), dnsfunc=dns) for raw in kept]
    return f"{sum(results)}/{len(results)} signatures verified"


def new_campaign(template, name: str, people_ids: list[int]):
    """A campaign for these customers, launched, its rate out of the way."""
    from comptoir.campaigns.models import Campaign
    from comptoir.campaigns.services import add_recipients, launch_campaign

    campaign = Campaign.objects.create(
        name=name,
        template=template,
        details=template.sample_event,
        rate_per_minute=60_000_000,
    )
    add_recipients(campaign, people_ids)
    launch_campaign(campaign=campaign)
    return campaign


def run_campaign_in_processes(campaign_id: int, processes: int) -> tuple[float, float]:
    """Run the campaign to its end with worker processes; return the wall seconds and the
    workers' CPU seconds."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    cpu_before = children_cpu_seconds()
    started = time.perf_counter()
    workers = [
        context.Process(target=campaign_worker, args=(campaign_id,)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if any(worker.exitcode for worker in workers):
        sys.exit("a campaign worker failed")
    return time.perf_counter() - started, children_cpu_seconds() - cpu_before


def children_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def campaign_worker(campaign_id: int) -> None:
    """What a worker does for a campaign: a chunk recorded, then its send task, in turn."""
    from django.test import override_settings

    from comptoir.campaigns.services import send_next_chunk
    from comptoir.mail.smtp_session import close_current_session

    with override_settings(TASKS=IMMEDIATE_TASKS):
        while not send_next_chunk(campaign_id=campaign_id).stopped:
            pass
    close_current_session()


def decide(template, campaign, people: list, chunk: int) -> tuple[list[int], float]:
    from comptoir.campaigns.services import outbound_for
    from comptoir.messaging.models import Delivery
    from comptoir.messaging.sending import send_outbound_many

    queued: list[int] = []
    started = time.perf_counter()
    for part in chunks(people, chunk):
        deliveries = send_outbound_many([outbound_for(campaign, person) for person in part])
        queued.extend(d.pk for d in deliveries if d.status == Delivery.Status.QUEUED)
    return queued, time.perf_counter() - started


def send(ids: list[int], chunk: int) -> float:
    from comptoir.mail.smtp_session import close_current_session
    from comptoir.messaging.dispatch import send_deliveries

    started = time.perf_counter()
    for part in chunks(ids, chunk):
        send_deliveries(part)
    close_current_session()
    return time.perf_counter() - started


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


def statuses_of(**filters) -> dict[str, int]:
    from django.db.models import Count

    from comptoir.messaging.models import Delivery

    rows = Delivery.objects.filter(**filters).values_list("status").annotate(n=Count("id"))
    return dict(rows.order_by())


def sink_figures(got: dict, queued: int) -> dict:
    return {
        "received": got["received"],
        "distinct_recipients": got["recipients"],
        "lost": queued - got["received"],
        "duplicated": got["received"] - got["recipients"],
        "sink_cpu_ms_per_message": got["cpu_seconds"] / max(1, got["received"]) * 1000,
    }


def run_database(args: argparse.Namespace) -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from comptoir.messaging.dispatch import send_delivery
    from comptoir.messaging.models import MessageTemplate
    from comptoir.messaging.sending import send_outbound
    from comptoir.messaging.services import load_catalogue
    from comptoir.campaigns.services import outbound_for

    out: dict = {"database": connection.vendor, "recipients": args.recipients}
    call_command("migrate", verbosity=0)
    load_catalogue()
    started = time.perf_counter()
    ids = make_population(args.recipients + args.sample + args.baseline)
    if connection.vendor == "postgresql":
        # The statistics autovacuum keeps in production: without them (this machine's server
        # runs with autovacuum off), the planner reads the tables just filled by sequential
        # scans, 10 ms a consent read at 100,000 customers, growing as the campaign goes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    out["setup_seconds"] = round(time.perf_counter() - started, 1)
    campaign_ids = ids[: args.recipients]
    sample = customers(ids[args.recipients : args.recipients + args.sample])
    baseline_people = customers(ids[args.recipients + args.sample :])
    template = MessageTemplate.objects.get(slug=args.template)
    out["template"] = template.slug
    out["render_full_ms"], out["render_compiled_ms"] = full_render_ms(
        template, sample, {"event": template.sample_event}, 20
    )
    private_key, public_key = dkim_key()
    sign_with_dkim(None)

    # The headline: the whole campaign, worker processes deciding and sending in turn.
    sink = start_sink(keep=1, kind=args.sink)
    out["sink"] = sink.name
    campaign = new_campaign(template, "bench", campaign_ids)
    seconds, cpu = run_campaign_in_processes(campaign.pk, args.processes)
    got = sink.stop()
    out["campaign"] = {
        "processes": args.processes,
        "seconds": seconds,
        "workers_cpu_ms_per_message": cpu / args.recipients * 1000,
        "cores_busy": (cpu + got["cpu_seconds"]) / seconds,
        "rate": args.recipients / seconds,
        "statuses": statuses_of(campaign=campaign),
        "message_bytes": len(got["kept"][0]) if got["kept"] else 0,
        **sink_figures(got, args.recipients),
    }

    # The breakdown, one process: deciding, then sending without and with DKIM.
    meter = PressureMeter()
    meter.install()
    queries = QueryCounter()
    breakdown = new_campaign(template, "breakdown", [])
    cpu = time.process_time()
    with connection.execute_wrapper(queries):
        queued, decide_seconds = decide(template, breakdown, sample, 200)
    out["decide"] = {
        "queued": len(queued),
        "rate": len(queued) / decide_seconds,
        "queries_per_message": queries.count / len(queued),
        "cpu_ms_per_message": (time.process_time() - cpu) / len(queued) * 1000,
        "pressure_checks": meter.calls,
        "pressure_us_per_check": meter.seconds / max(1, meter.calls) * 1e6,
        "pressure_queries_per_check": meter.queries / max(1, meter.calls),
    }
    half = len(queued) // 2
    for name, part, key in [("no_dkim", queued[:half], None), ("dkim", queued[half:], private_key)]:
        sink = start_sink(keep=5, kind=args.sink)
        sign_with_dkim(key)
        queries.count = 0
        cpu = time.process_time()
        with connection.execute_wrapper(queries):
            seconds = send(part, 100)
        cpu = time.process_time() - cpu
        got = sink.stop()
        out[name] = {
            "queued": len(part),
            "send_rate": len(part) / seconds,
            "queries_per_message": queries.count / len(part),
            "cpu_ms_per_message": cpu / len(part) * 1000,
            "statuses": statuses_of(pk__in=part),
            "dkim_check": verify_dkim(got["kept"], public_key) if key else "",
            **sink_figures(got, len(part)),
        }
    sign_with_dkim(None)

    # The baseline: the path one message at a time.
    if baseline_people:
        sink = start_sink(kind=args.sink)
        baseline = new_campaign(template, "baseline", [])
        started = time.perf_counter()
        for person in baseline_people:
            delivery = send_outbound(outbound_for(baseline, person))
            send_delivery(delivery.pk)
        seconds = time.perf_counter() - started
        got = sink.stop()
        out["baseline"] = {
            "messages": len(baseline_people),
            "rate": len(baseline_people) / seconds,
            **sink_figures(got, len(baseline_people)),
        }
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
    shutil.rmtree(data_dir, ignore_errors=True)
    if result.returncode:
        sys.exit(f"the {database} run failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def report(result: dict) -> None:
    run = result["campaign"]
    print(f"\n## {result['database']}: campaign of {result['recipients']:,} recipients")
    print(
        f"setup (customers, addresses, consents in bulk): {result['setup_seconds']} s; "
        f"template {result['template']}, {run['message_bytes']:,} bytes a message; "
        f"sink: {result['sink']}"
    )
    print(
        f"whole path, {run['processes']} worker processes: {run['rate']:,.0f} msg/s "
        f"({run['seconds']:.1f} s); received {run['received']:,}, distinct "
        f"{run['distinct_recipients']:,}, lost {run['lost']}, duplicated {run['duplicated']}; "
        f"statuses {run['statuses']}"
    )
    print(
        f"CPU a message: workers {run['workers_cpu_ms_per_message']:.2f} ms, sink "
        f"{run['sink_cpu_ms_per_message']:.3f} ms; cores busy {run['cores_busy']:.2f} of "
        f"{os.cpu_count()}"
    )
    decided = result["decide"]
    print(
        f"\nbreakdown, one process, {decided['queued']:,} other customers:\n"
        f"decide (send_outbound_many, chunks of 200): {decided['rate']:,.0f} msg/s, "
        f"{decided['queries_per_message']:.3f} queries/msg, "
        f"{decided['cpu_ms_per_message']:.2f} ms CPU/msg"
    )
    print(
        f"pressure: {decided['pressure_checks']} checks, {decided['pressure_us_per_check']:.1f} "
        f"µs and {decided['pressure_queries_per_check']:.3f} queries per check (reading, "
        "checking, recording and writing the state rows, per check)"
    )
    print(
        "| send alone | messages | msg/s | queries/msg | sender CPU ms/msg | sink CPU ms/msg "
        "| received | distinct |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in ("no_dkim", "dkim"):
        run = result[name]
        print(
            f"| {name} | {run['queued']} | {run['send_rate']:,.0f} | "
            f"{run['queries_per_message']:.3f} | {run['cpu_ms_per_message']:.2f} | "
            f"{run['sink_cpu_ms_per_message']:.3f} | {run['received']} | "
            f"{run['distinct_recipients']} |"
        )
        if run["dkim_check"]:
            print(f"  DKIM: {run['dkim_check']}")
        print(f"  statuses {run['statuses']}; lost {run['lost']}, duplicated {run['duplicated']}")
    print(
        f"rendering per message: {result['render_full_ms']:.1f} ms in full (MJML per customer), "
        f"{result['render_compiled_ms']:.3f} ms compiled once"
    )
    if "baseline" in result:
        base = result["baseline"]
        print(
            f"baseline, one message at a time (send_outbound + send_delivery), "
            f"{base['messages']} messages: {base['rate']:.0f} msg/s, received {base['received']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000, help="the campaign's")
    parser.add_argument("--processes", type=int, default=2, help="the campaign's workers")
    parser.add_argument("--sample", type=int, default=4_000, help="breakdown customers")
    parser.add_argument("--baseline", type=int, default=500, help="messages one at a time")
    parser.add_argument("--template", default="live-session-invitation")
    parser.add_argument("--sink", choices=["auto", "postfix", "aiosmtpd"], default="auto")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--postgres-database", default="comptoir_speed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    if sys.argv[1:2] == ["--sink-process"]:
        port, path, keep = sys.argv[2:5]
        run_aiosmtpd_sink(int(port), Path(path), int(keep))
        return
    args = parser.parse_args()
    if args.child:
        run_database(args)
        return
    if args.sink == "postfix" and SMTP_SINK is None:
        sys.exit("no smtp-sink here: `make bench-packages` installs Debian's postfix")
    print(f"bench/send: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for database in databases:
        report(measure(database, args))


if __name__ == "__main__":
    main()
