"""A campaign runner killed mid-campaign (SIGKILL) and run again sends everyone exactly once.

Real processes on a database of their own: `comptoir campaign send` records the deliveries,
`comptoir worker` sends them to a real SMTP server on loopback (tests/smtp_sink.py).
"""

import random
import signal
import subprocess
import time

import pytest

from tests.comptoir_process import COMPTOIR

RECIPIENTS = 60
SETUP = f"""
from datetime import timedelta
from django.utils import timezone
from comptoir.campaigns import services
from comptoir.customers.models import Customer, Identity, Segment
from comptoir.messaging.models import MessageTemplate
from comptoir.messaging.services import load_catalogue

load_catalogue()
# At any hour: no quiet hours, caps or delay (pressure has its own tests).
from datetime import time
from comptoir.consents.models import PressurePolicy
from comptoir.consents.pressure import save_pressure_policy
save_pressure_policy(policy=PressurePolicy(
    caps=[{{"type": "", "max": 1_000_000, "days": 1}}], min_delay_hours=0,
    score_threshold=1_000_000, quiet_from=time(0, 0), quiet_until=time(0, 0),
    quiet_weekdays=[], quiet_on_public_holidays=False,
))
segment = Segment.objects.create(name="Invités")
bought = timezone.now() - timedelta(days=30)
for number in range({RECIPIENTS}):
    customer = Customer.objects.create(first_name=f"Client{{number}}", last_purchase_at=bought)
    Identity.objects.create(customer=customer, kind="email", value=f"client{{number}}@example.fr")
    segment.customers.add(customer)
campaign, _ = services.create_campaign(
    name="Séance en direct",
    template=MessageTemplate.objects.get(slug="live-session-invitation"),
    segment=segment,
    rate_per_minute=1200,
    details={{"session_on": "2026-12-10", "time": "18 h 30", "topic": "les fêtes"}},
    created_by=None,
)
print(campaign.pk)
"""


def wait_for_line(process: subprocess.Popen, prefix: bytes, timeout: float = 60) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith(prefix):
            return line
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"no line starting with {prefix!r}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.django_db
def test_given_a_runner_killed_mid_campaign_when_run_again_then_everyone_gets_exactly_one_email(
    comptoir_processes, smtp_sink, tmp_path
):
    env = comptoir_processes.env
    env.update(
        COMPTOIR_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        COMPTOIR_SMTP_HOST=smtp_sink.host,
        COMPTOIR_SMTP_PORT=str(smtp_sink.port),
        PYTHONUNBUFFERED="1",
    )
    made = comptoir_processes.run("shell", "-c", SETUP, timeout=180)
    assert made.returncode == 0, made.stderr
    campaign_id = made.stdout.strip().splitlines()[-1]
    # Its log goes to a file: a pipe nobody reads fills up and blocks the worker.
    worker = subprocess.Popen(
        [COMPTOIR, "worker", "--no-clock"],
        env=env,
        stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        runner = comptoir_processes.start("campaign", "send", campaign_id)
        wait_for_line(runner, b"recorded")
        # Somewhere between two chunks or inside one: either way nothing may repeat.
        time.sleep(random.uniform(0, 1.0))
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        recorded_before = comptoir_processes.evaluate(
            f"__import__('comptoir.messaging.models').messaging.models.Delivery.objects"
            f".filter(campaign_id={campaign_id}).count()"
        )
        assert 0 < recorded_before < RECIPIENTS, "killed mid-campaign"

        again = comptoir_processes.run("campaign", "send", campaign_id, timeout=120)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip().endswith("done")

        deadline = time.monotonic() + 120
        while len(smtp_sink.received) < RECIPIENTS and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)  # a duplicate would come now
    finally:
        stop(worker)

    recipients = [to for email in smtp_sink.received for to in email.envelope_to]
    assert len(recipients) == RECIPIENTS
    assert sorted(set(recipients)) == sorted(f"client{n}@example.fr" for n in range(RECIPIENTS))
    deliveries = comptoir_processes.evaluate(
        "list(__import__('comptoir.messaging.models').messaging.models.Delivery.objects"
        f".filter(campaign_id={campaign_id}).values_list('customer_id', 'status'))"
    )
    assert len(deliveries) == RECIPIENTS
    assert len({customer for customer, _ in deliveries}) == RECIPIENTS
    assert {status for _, status in deliveries} == {"sent"}
