"""Messages per second through the email adapter's SMTP path into a local SMTP sink.

Run: .venv/bin/python bench/smtp_send.py [--messages 5000]

The sink (aiosmtpd, the same as tests/smtp_sink.py) runs in its own process, so that it does
not share the sender's interpreter lock. Four figures on the same messages (a relationship
email of about 6 KB, HTML and text, List-Unsubscribe, Feedback-ID):
- ours: comptoir.mail.outbound.send_over_smtp, one connection kept open, VERP envelope sender;
- ours, N connections: the same from N threads, each with its own connection (as N workers);
- ours + DKIM: the same as the first, each message signed with a 2048-bit RSA key (dkimpy);
- peer: Django's own SMTP backend sending the same emails on one open connection
  (send_messages), no VERP and no DKIM.
Only the transport is timed: the deliveries are built in memory, no database row is written
(bench/send times the whole path, database included).
"""

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comptoir.settings")
os.environ.setdefault("COMPTOIR_DATA_DIR", tempfile.mkdtemp(prefix="bench-smtp-"))


def run_sink(
    port: int,
    ready: "multiprocessing.synchronize.Event",
    count: "multiprocessing.sharedctypes.Synchronized",
) -> None:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command

    class Counting:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802, ANN001
            with count.get_lock():
                count.value += 1
            return "250 2.0.0 Ok"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def deliveries(total: int) -> list:
    from django.utils import timezone

    from comptoir.messaging.models import Delivery

    now = timezone.now()
    return [
        Delivery(pk=n + 1, recipient=f"client{n}@example.fr", created_at=now, purpose="marketing")
        for n in range(total)
    ]


def outgoing():  # noqa: ANN201
    from comptoir.messaging.outgoing import Outgoing

    paragraph = "<p>Bonjour Jeanne, votre magasin de Lyon vous attend : nouveautés, ateliers et conseils.</p>"
    return Outgoing(
        subject="Jeanne, vos offres de la semaine",
        text="Bonjour Jeanne,\n\n" + "Votre magasin de Lyon vous attend.\n" * 40,
        html="<html><body>" + paragraph * 40 + "</body></html>",
        from_name="Service client",
        from_address="support@shop.example",
        reply_to="support@shop.example",
        message_id="delivery.1.20261126090000@shop.example",
        headers={
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": "<https://www.example.com/preferences/desabonnement/1:abcdefghijklmnopqrstuvwxyz0123456789/>, "
            "<mailto:support@shop.example?subject=unsubscribe%201:abc>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def time_ours(items: list, message, connections: int = 1, label: str = "") -> float:  # noqa: ANN001
    """Send every item; with several connections, one thread each (as several workers do)."""
    import threading

    from comptoir.mail.outbound import send_over_smtp
    from comptoir.mail.smtp_session import close_current_session

    def sender(share: list) -> None:
        for delivery in share:
            send_over_smtp(delivery, message)
        close_current_session()

    threads = [
        threading.Thread(target=sender, args=(items[n::connections],)) for n in range(connections)
    ]
    start, cpu = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if label:
        SENDER_CPU[label] = (len(items), time.process_time() - cpu)
    return time.perf_counter() - start


# The sender's own CPU time (this process; the sink is another): what the adapter costs,
# whatever the sink's speed.
SENDER_CPU: dict = {}


def time_peer(items: list, message) -> float:  # noqa: ANN001
    from django.core.mail import get_connection

    from comptoir.mail.outbound import build_email

    start = time.perf_counter()
    emails = [build_email(delivery, message) for delivery in items]
    with get_connection("django.core.mail.backends.smtp.EmailBackend") as connection:
        connection.send_messages(emails)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=4, help="for the extra figure")
    args = parser.parse_args()

    from tests.smtp_sink import free_port

    port = free_port()
    ready, count = multiprocessing.Event(), multiprocessing.Value("i", 0)
    sink = multiprocessing.Process(target=run_sink, args=(port, ready, count), daemon=True)
    sink.start()
    ready.wait(10)

    key_file = Path(os.environ["COMPTOIR_DATA_DIR"]) / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", key_file, "2048"], check=True, capture_output=True)

    import django
    from django.conf import settings

    django.setup()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.COMPTOIR_SUPPORT_ADDRESS = "support@shop.example"
    settings.COMPTOIR_FEEDBACK_SENDER_ID = "bench"

    items, message = deliveries(args.messages), outgoing()
    time_ours(items[:50], message)  # warm up: imports, first connection

    results = {}
    results["ours (VERP, no DKIM)"] = (len(items), time_ours(items, message, label="no DKIM"))
    results[f"ours, {args.connections} connections"] = (
        len(items),
        time_ours(items, message, args.connections),
    )
    settings.COMPTOIR_DKIM_DOMAIN, settings.COMPTOIR_DKIM_SELECTOR = "shop.example", "bench"
    settings.COMPTOIR_DKIM_PRIVATE_KEY_FILE = str(key_file)
    # dkimpy signs RSA in pure Python: a tenth of the messages tells its rate.
    signed = items[: max(100, len(items) // 10)]
    results["ours + DKIM (RSA 2048)"] = (len(signed), time_ours(signed, message, label="DKIM"))
    settings.COMPTOIR_DKIM_DOMAIN = ""
    results["peer: Django SMTP backend"] = (len(items), time_peer(items, message))

    expected = 50 + sum(sent for sent, _ in results.values())
    deadline = time.monotonic() + 10
    while count.value < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    load = os.getloadavg()[0]
    print(f"sink received {count.value} of {expected} messages")
    print(
        f"{os.cpu_count()} cores, load average {load:.1f} at the end (other work slows both sides)"
    )
    for name, (sent, elapsed) in results.items():
        print(f"{name:28} {sent / elapsed:8.0f} messages/s  ({sent} in {elapsed:.2f} s)")
    for label, (sent, cpu) in SENDER_CPU.items():
        print(
            f"sender CPU, {label:18} {cpu / sent * 1000:6.2f} ms a message"
            f" (a ceiling of {sent / cpu:.0f}/s a core)"
        )
    sink.terminate()


if __name__ == "__main__":
    main()
