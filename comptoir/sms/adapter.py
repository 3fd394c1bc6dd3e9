"""The SMS channel adapter: one delivery becomes one request to Twilio's Messages API.

POST {api}/2010-04-01/Accounts/{AccountSid}/Messages.json, HTTP Basic auth (account SID,
auth token), form fields To, From (or MessagingServiceSid), Body and StatusCallback; Twilio
answers 201 with the message as JSON (its "sid" names it in the status callbacks), or an
error as JSON {"code", "message", "more_info", "status"}.

Never twice: the send is recorded before the request leaves. A request that failed before
Twilio could take it (no connection, a 4xx or 5xx answer) is safe to try again; one whose
answer was lost (a timeout after the request was written, a crash) may have been sent, so
it is not repeated and the delivery fails with a message saying so.
"""

import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from typing import Any, NoReturn

from django.db import IntegrityError, transaction

from comptoir.consents.models import Channel, Suppression
from comptoir.consents.services import suppress_address
from comptoir.customers.identities import InvalidIdentity, normalise_phone
from comptoir.messaging.adapters import PermanentSendError
from comptoir.messaging.models import Delivery
from comptoir.messaging.outgoing import Outgoing
from comptoir.messaging.sms_segments import SmsLength, measure_sms
from comptoir.sms.config import SmsConfig, public_url
from comptoir.sms.models import SmsSend

logger = logging.getLogger(__name__)

# Twilio refuses the number for good once its owner answered STOP to our sender.
UNSUBSCRIBED_RECIPIENT = 21610
# Twilio's 429 (error 20429) asks to slow down; like a 5xx, a later try may pass.
RETRYABLE_STATUSES = {429}


class SmsProviderUnavailable(Exception):
    """Twilio did not take the SMS this time (no connection, busy, 5xx): try again later."""


class SmsAdapter:
    def send(self, delivery: Delivery, outgoing: Outgoing) -> None:
        config = SmsConfig.current()
        if not config.is_configured:
            raise SmsProviderUnavailable("SMS is not configured (COMPTOIR_SMS_* variables)")
        to = e164_or_refuse(delivery.recipient)
        length = measure_or_refuse(outgoing.text, config.max_segments)
        send = start_send(delivery, to, length)
        if send.state == SmsSend.State.ACCEPTED:
            return  # A retry after a crash that followed Twilio's answer: sent already.
        answer = post_message(config, to, outgoing.text, send)
        accept_send(send, answer)


def e164_or_refuse(recipient: str) -> str:
    try:
        return normalise_phone(recipient)
    except InvalidIdentity as error:
        raise PermanentSendError(f"not a valid mobile number: {recipient!r}") from error


def measure_or_refuse(text: str, max_segments: int) -> SmsLength:
    length = measure_sms(text)
    if length.segments == 0:
        raise PermanentSendError("the SMS text is empty")
    if length.segments > max_segments:
        # Each segment is billed: a template that grew past the limit is an author's
        # mistake to fix, not a cost to pay for every customer of a campaign.
        raise PermanentSendError(
            f"the SMS takes {length.segments} segments ({length.encoding}, {length.units}"
            f" characters); COMPTOIR_SMS_MAX_SEGMENTS allows {max_segments}"
        )
    return length


def start_send(delivery: Delivery, to: str, length: SmsLength) -> SmsSend:
    """Record that the SMS is about to leave, or find the record of an earlier attempt."""
    fields = {"to": to, "encoding": length.encoding, "segments": length.segments}
    try:
        with transaction.atomic():
            send, created = SmsSend.objects.get_or_create(
                delivery=delivery, defaults={**fields, "state": SmsSend.State.REQUESTING}
            )
    except IntegrityError:  # Two workers at once: the dispatcher's claim makes this rare.
        raise PermanentSendError("another worker is sending this SMS") from None
    if created or send.state == SmsSend.State.ACCEPTED:
        return send
    if send.state == SmsSend.State.REQUESTING:
        raise PermanentSendError(
            "an earlier attempt got no answer from Twilio and may have been sent: not repeated"
        )
    # NOT_SENT: the earlier attempt never reached Twilio, so this one may go.
    SmsSend.objects.filter(pk=send.pk).update(state=SmsSend.State.REQUESTING, **fields)
    send.state = SmsSend.State.REQUESTING
    return send


def post_message(config: SmsConfig, to: str, text: str, send: SmsSend) -> dict[str, Any]:
    """Hand the SMS to Twilio and return its answer; raise for a refusal or a failure."""
    form = {
        "To": to,
        config.sender_field: config.sender,
        "Body": text,
        "StatusCallback": public_url("sms:status"),
    }
    credentials = b64encode(f"{config.account_sid}:{config.auth_token}".encode()).decode()
    request = urllib.request.Request(
        config.messages_url,
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_seconds) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        refuse_or_retry(send, error.code, read_error(error))
    except urllib.error.URLError as error:
        # The connection was never made (refused, unknown host, TLS): nothing left.
        mark_not_sent(send, "")
        raise SmsProviderUnavailable(f"Twilio unreachable: {error.reason}") from error
    except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
        # The request was written and the answer lost: Twilio may have sent it.
        logger.error("SMS of delivery %s: no answer from Twilio: %s", send.delivery_id, error)
        raise PermanentSendError(
            f"no answer from Twilio ({type(error).__name__}); the SMS may have been sent,"
            " so it is not repeated"
        ) from error


def read_error(error: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def refuse_or_retry(send: SmsSend, status: int, body: dict[str, Any]) -> NoReturn:
    code = body.get("code")
    mark_not_sent(send, str(code or ""))
    described = f"Twilio {status} (error {code}): {body.get('message', '')}".strip()
    if status >= 500 or status in RETRYABLE_STATUSES:
        raise SmsProviderUnavailable(described)
    if code == UNSUBSCRIBED_RECIPIENT:
        # The customer answered STOP to Twilio directly: keep our list in step with theirs.
        suppress_address(
            value=send.to,
            channel=Channel.SMS,
            reason=Suppression.Reason.UNSUBSCRIBED,
            note="Twilio 21610: unsubscribed recipient",
        )
    raise PermanentSendError(described)


def mark_not_sent(send: SmsSend, error_code: str) -> None:
    SmsSend.objects.filter(pk=send.pk).update(state=SmsSend.State.NOT_SENT, error_code=error_code)


def accept_send(send: SmsSend, answer: dict[str, Any]) -> None:
    sid = str(answer.get("sid", ""))
    SmsSend.objects.filter(pk=send.pk).update(
        state=SmsSend.State.ACCEPTED,
        provider_sid=sid,
        provider_status=str(answer.get("status") or ""),
        error_code="",
    )
    # The status callbacks name the message by this id.
    Delivery.objects.filter(pk=send.delivery_id).update(provider_message_id=sid)
