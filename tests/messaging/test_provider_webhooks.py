"""A provider (Brevo, through django-anymail) sends our email and reports bounces and
complaints to its webhook: they land on the same Bounce records and suppression rules as the
reports that reach our bounce address. The provider's API is a real HTTP server on loopback;
its webhook posts go over real HTTP to the running test server."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from comptoir.consents.models import ConsentRecord, ConsentStatus, Suppression
from comptoir.customers.models import Customer, Identity
from comptoir.messaging import dispatch
from comptoir.messaging.models import Bounce, Delivery, MessageTemplate
from comptoir.messaging.services import save_message_template

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER = "jeanne.martin@example.fr"
BREVO_MESSAGE_ID = "<202611260941.12345678901@smtp-relay.mailin.fr>"
SECRET = ("brevo", "webhook-secret-42")
WEBHOOK = "/webhooks/anymail/brevo/tracking/"


class FakeBrevoApi(BaseHTTPRequestHandler):
    """POST /v3/smtp/email as Brevo documents it: 201 and the new message's id."""

    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakeBrevoApi.received.append(
            {"path": self.path, "key": self.headers["api-key"], **json.loads(body)}
        )
        answer = json.dumps({"messageId": BREVO_MESSAGE_ID}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def brevo(settings) -> Iterator[list[dict]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBrevoApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeBrevoApi.received = []
    settings.EMAIL_BACKEND = "anymail.backends.brevo.EmailBackend"
    settings.ANYMAIL = {
        "BREVO_API_KEY": "xkeysib-test",
        "BREVO_API_URL": f"http://127.0.0.1:{server.server_port}/v3/",
        "WEBHOOK_SECRET": ":".join(SECRET),
    }
    yield FakeBrevoApi.received
    server.shutdown()
    server.server_close()


@pytest.fixture
def sent_through_brevo(brevo) -> Delivery:
    customer = Customer.objects.create(first_name="Jeanne")
    Identity.objects.create(customer=customer, kind="email", value=CUSTOMER)
    template = save_message_template(
        template=MessageTemplate(slug="order-confirmation"),
        subject="Votre commande",
        body='<p>Bonjour,</p><p><a href="https://www.example.com/">Suivre</a></p>',
        author=None,
        name="Confirmation",
        kind="transactional",
    )
    delivery = Delivery.objects.create(
        customer=customer,
        template=template,
        template_version=template.live_version,
        recipient=CUSTOMER,
    )
    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.SENT
    return Delivery.objects.get(pk=delivery.pk)


def brevo_event(event: str, **fields: object) -> dict:
    """A transactional webhook event as Brevo's documentation shows it."""
    return {
        "event": event,
        "email": CUSTOMER,
        "id": 1234567,
        "date": "2026-11-26 10:41:44",
        "ts": 1795686104,
        "message-id": BREVO_MESSAGE_ID,
        "ts_event": 1795686104,
        "subject": "Votre commande",
        "tag": "",
        "sending_ip": "185.41.28.109",
        "ts_epoch": 1795686104000,
        **fields,
    }


def post(live_server, payload: dict, auth: tuple[str, str] | None = SECRET) -> requests.Response:
    return requests.post(live_server.url + WEBHOOK, json=payload, auth=auth, timeout=10)


def test_a_send_through_the_provider_keeps_the_id_its_webhooks_name(sent_through_brevo, brevo):
    assert sent_through_brevo.provider_message_id == BREVO_MESSAGE_ID
    [request] = brevo
    assert request["path"] == "/v3/smtp/email" and request["key"] == "xkeysib-test"
    assert request["to"] == [{"email": CUSTOMER}]


def test_a_hard_bounce_webhook_suppresses_the_address_and_marks_the_delivery(
    live_server, sent_through_brevo
):
    payload = brevo_event(
        "hard_bounce", reason="550 5.1.1 <jeanne.martin@example.fr>: user unknown"
    )
    assert post(live_server, payload).status_code == 200
    assert post(live_server, payload).status_code == 200  # Brevo retries: recorded once

    bounce = Bounce.objects.get()
    assert (bounce.address, bounce.kind, bounce.status) == (CUSTOMER, "hard", "5.1.1")
    assert bounce.delivery_id == sent_through_brevo.pk
    assert bounce.provider_event.startswith("brevo:")
    assert Delivery.objects.get(pk=sent_through_brevo.pk).status == Delivery.Status.BOUNCED
    assert Suppression.objects.get(value=CUSTOMER).reason == Suppression.Reason.HARD_BOUNCE


def test_soft_bounces_from_the_webhook_count_towards_suppression(live_server, sent_through_brevo):
    for number in range(3):
        payload = brevo_event("soft_bounce", reason="452 4.2.2 mailbox full", ts_epoch=number)
        assert post(live_server, payload).status_code == 200
    assert Bounce.objects.filter(kind="soft").count() == 3
    assert Suppression.objects.get(value=CUSTOMER).reason == Suppression.Reason.SOFT_BOUNCES


def test_a_complaint_webhook_suppresses_and_withdraws_marketing_consent(
    live_server, sent_through_brevo
):
    assert post(live_server, brevo_event("spam")).status_code == 200
    assert Suppression.objects.get(value=CUSTOMER).reason == Suppression.Reason.COMPLAINT
    assert ConsentRecord.objects.filter(
        customer=sent_through_brevo.customer, status=ConsentStatus.WITHDRAWN
    ).exists()
    # The message did arrive: a complaint is no bounce.
    assert Delivery.objects.get(pk=sent_through_brevo.pk).status == Delivery.Status.SENT


def test_a_bounce_without_the_provider_id_finds_the_last_delivery_to_the_recipient(
    live_server, sent_through_brevo
):
    payload = brevo_event("hard_bounce", reason="550 5.1.1 user unknown")
    del payload["message-id"]
    assert post(live_server, payload).status_code == 200
    assert Bounce.objects.get().delivery_id == sent_through_brevo.pk


def test_a_delivered_webhook_confirms_an_unconfirmed_delivery(live_server, sent_through_brevo):
    Delivery.objects.filter(pk=sent_through_brevo.pk).update(status=Delivery.Status.UNCONFIRMED)
    assert post(live_server, brevo_event("delivered")).status_code == 200
    assert Delivery.objects.get(pk=sent_through_brevo.pk).status == Delivery.Status.SENT
    assert not Bounce.objects.exists()


def test_a_post_without_the_webhook_secret_records_nothing(live_server, sent_through_brevo):
    payload = brevo_event("hard_bounce", reason="550 5.1.1 user unknown")
    assert post(live_server, payload, auth=None).status_code in (400, 401, 403)
    assert post(live_server, payload, auth=("brevo", "guess")).status_code in (400, 401, 403)
    assert not Bounce.objects.exists() and not Suppression.objects.exists()


def test_the_webhooks_are_off_until_a_secret_is_set(live_server, sent_through_brevo, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}
    payload = brevo_event("hard_bounce", reason="550 5.1.1 user unknown")
    assert post(live_server, payload, auth=None).status_code == 404
    assert not Bounce.objects.exists()


def test_an_outsider_session_gets_no_further_than_anyone_without_the_secret(
    live_server, sent_through_brevo, outsider
):
    session = requests.Session()
    session.get(live_server.url + "/login/", timeout=10)
    logged_in = session.post(
        live_server.url + "/login/",
        data={
            "username": outsider.username,
            "password": "motdepasse-olivier-1",
            "csrfmiddlewaretoken": session.cookies.get("csrftoken") or "",
        },
        headers={"Referer": live_server.url + "/login/"},
        timeout=10,
    )
    assert logged_in.url.rstrip("/") != live_server.url + "/login"  # signed in
    payload = brevo_event("hard_bounce", reason="550 5.1.1 user unknown")
    answer = session.post(live_server.url + WEBHOOK, json=payload, timeout=10)
    assert answer.status_code in (400, 401, 403)
    assert not Bounce.objects.exists()
