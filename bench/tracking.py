"""What open and click tracking costs: at send time per message, and per recorded hit.

Run: .venv/bin/python bench/tracking.py [--messages 2000] [--hits 2000]
     (DATABASE_URL=postgres://… to measure on PostgreSQL; a fresh SQLite file otherwise)

Figures printed:
- rewrite: links and pixel put into the catalogue's welcome email (regex and signing only);
- instrument: the same through instrument_html, with the policy and consent reads it makes;
- render: rendering that email (Jinja, MJML, css-inline), for scale;
- first hits and repeated hits per second through record_hit (what the pixel view does).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup() -> None:
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench-tracking.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def per_second(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s ({seconds / count * 1e6:,.0f} µs each)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--hits", type=int, default=2000)
    arguments = parser.parse_args()
    setup()

    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from comptoir.consents.models import Channel, ConsentStatus, Purpose, Source
    from comptoir.consents.services import Proof, record_consent
    from comptoir.customers.models import Customer, Identity
    from comptoir.messaging.models import Delivery, MessageTemplate, TrackingEvent
    from comptoir.messaging.rendering import render_message
    from comptoir.messaging.services import load_catalogue
    from comptoir.messaging.tracking import add_pixel, instrument_html, record_hit, track_links

    load_catalogue()
    customer = Customer.objects.create(first_name="Jeanne")
    Identity.objects.create(customer=customer, kind="email", value="jeanne@example.fr")
    record_consent(
        customer=customer,
        purpose=Purpose.PROFILING,
        channel=Channel.ANY,
        status=ConsentStatus.GRANTED,
        proof=Proof(source=Source.FORM),
    )
    welcome = MessageTemplate.objects.get(slug="welcome")
    html = render_message(template=welcome, customer=customer).html
    delivery = Delivery.objects.create(
        customer=customer,
        template=welcome,
        template_version=welcome.live_version,
        recipient="jeanne@example.fr",
        status=Delivery.Status.SENT,
        sent_at=timezone.now() - timedelta(hours=1),
    )
    print(f"database: {connection.vendor}; welcome email: {len(html):,} bytes of HTML")

    started = time.perf_counter()
    for _ in range(arguments.messages):
        add_pixel(track_links(html, delivery.pk), delivery.pk)
    print("rewrite    ", per_second(arguments.messages, time.perf_counter() - started))

    started = time.perf_counter()
    for _ in range(arguments.messages):
        instrument_html(html, delivery)
    print("instrument ", per_second(arguments.messages, time.perf_counter() - started))

    renders = max(1, arguments.messages // 50)
    started = time.perf_counter()
    for _ in range(renders):
        render_message(template=welcome, customer=customer)
    print("render     ", per_second(renders, time.perf_counter() - started))

    deliveries = Delivery.objects.bulk_create(
        Delivery(
            customer=customer,
            template=welcome,
            template_version=welcome.live_version,
            recipient="jeanne@example.fr",
            status=Delivery.Status.SENT,
            sent_at=delivery.sent_at,
            dedupe_key=f"bench:{number}",
        )
        for number in range(arguments.hits)
    )
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15"
    started = time.perf_counter()
    for row in deliveries:
        record_hit(delivery_id=row.pk, kind=TrackingEvent.Kind.OPEN, user_agent=iphone)
    print("first hits ", per_second(arguments.hits, time.perf_counter() - started))
    started = time.perf_counter()
    for _ in range(arguments.hits):
        record_hit(delivery_id=delivery.pk, kind=TrackingEvent.Kind.OPEN, user_agent=iphone)
    print("repeats    ", per_second(arguments.hits, time.perf_counter() - started))
    rows = TrackingEvent.objects.count()
    print(f"tracking rows: {rows:,} for {2 * arguments.hits:,} hits")


if __name__ == "__main__":
    main()
