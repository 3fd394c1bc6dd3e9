"""A local fake of Twilio's Messages API: a real HTTP server on loopback, in a thread.

It implements what comptoir.sms uses, as Twilio documents it: POST
/2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP Basic auth and a form body (To,
From or MessagingServiceSid, Body, StatusCallback); 201 with the message resource as JSON;
errors as {"code", "message", "more_info", "status"} (20003 authenticate, 21211 invalid To,
21602 body required, 21603 From required, 21617 body over 1,600 characters). It records
every message it accepted, and can be told to fail the next requests with a given answer.

It also signs webhooks the way Twilio does (X-Twilio-Signature), written apart from
comptoir.sms.signature so that the two check each other.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import phonenumbers
import pytest

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "fake-twilio-auth-token"
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Messages\.json$")


@dataclass
class FakeTwilio:
    url: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, int, str]] = field(default_factory=list)
    # Accept the request, then close the connection without answering (a lost answer).
    hang_up_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, code: int, message: str, times: int = 1) -> None:
        self.failures.extend([(status, code, message)] * times)

    def sign(self, url: str, params: dict[str, str]) -> str:
        """X-Twilio-Signature for a webhook Twilio would send to `url` with `params`."""
        data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
        mac = hmac.new(AUTH_TOKEN.encode(), data.encode("utf-8"), hashlib.sha1)
        return base64.b64encode(mac.digest()).decode()


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def is_e164(number: str) -> bool:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return number.startswith("+") and phonenumbers.is_valid_number(parsed)


def make_handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def answer(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            with fake.lock:
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "form": form}
                )
                if fake.hang_up_next:
                    fake.hang_up_next -= 1
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                failure = fake.failures.pop(0) if fake.failures else None
            match = MESSAGES_PATH.match(self.path)
            if match is None:
                return self.answer(
                    404, twilio_error(404, 20404, "The requested resource was not found")
                )
            expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            if (
                self.headers.get("Authorization") != f"Basic {expected}"
                or match["account"] != ACCOUNT_SID
            ):
                return self.answer(401, twilio_error(401, 20003, "Authenticate"))
            if failure:
                return self.answer(failure[0], twilio_error(*failure))
            to = form.get("To", "")
            if not is_e164(to):
                return self.answer(
                    400,
                    twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number."),
                )
            if not (form.get("From") or form.get("MessagingServiceSid")):
                return self.answer(
                    400, twilio_error(400, 21603, "The 'From' phone number is required.")
                )
            body = form.get("Body", "")
            if not body:
                return self.answer(400, twilio_error(400, 21602, "Message body is required."))
            if len(body) > 1600:
                return self.answer(
                    400,
                    twilio_error(
                        400,
                        21617,
                        "The concatenated message body exceeds the 1600 character limit.",
                    ),
                )
            sid = "SM" + secrets.token_hex(16)
            now = formatdate(usegmt=True)
            message = {
                "account_sid": ACCOUNT_SID,
                "api_version": "2010-04-01",
                "body": body,
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"
                },
                "to": to,
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
            }
            with fake.lock:
                fake.messages.append({**form, "sid": sid})
            self.answer(201, message)

    return Handler


@pytest.fixture
def fake_twilio(settings) -> Iterator[FakeTwilio]:
    """Twilio on loopback, and Comptoir's SMS settings pointing at it."""
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.COMPTOIR_SMS_ACCOUNT_SID = ACCOUNT_SID
    settings.COMPTOIR_SMS_AUTH_TOKEN = AUTH_TOKEN
    settings.COMPTOIR_SMS_SENDER = "COMPTOIR"
    settings.COMPTOIR_SMS_API_URL = fake.url
    settings.COMPTOIR_SMS_TIMEOUT_SECONDS = 5
    settings.PUBLIC_URL = "https://crm.shop.example"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
