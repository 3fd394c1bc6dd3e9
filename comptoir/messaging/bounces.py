"""Recognise what comes back from a send: a bounce (hard or soft), a complaint, an auto-reply.

Standard reports are read with the email package: delivery status notifications (RFC 3464,
`message/delivery-status`) and abuse feedback reports (RFC 5965, `message/feedback-report`).
Bounces in the free formats of older servers and mailbox providers are found by flufl.bounce,
which knows dozens of them, and by the address and diagnostic text they quote.

Hard or soft is our rule, the one sisimai uses: a bounce is hard only when the address or its
domain does not exist (unknown user or host, an address that has moved, a domain that accepts
no mail). A hard bounce suppresses the address for good, so anything less certain — a full
mailbox, a spam filter, a block, a delay — is soft: repeated soft bounces suppress it later.
"""

import email
import re
from dataclasses import dataclass, field, replace
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses
from enum import StrEnum

from flufl.bounce import all_failures

from comptoir.mail.parsing import decode_header


class BounceKind(StrEnum):
    HARD = "hard"
    SOFT = "soft"
    COMPLAINT = "complaint"
    AUTO_REPLY = "auto_reply"
    NONE = "none"


@dataclass(frozen=True)
class FailedRecipient:
    address: str
    kind: BounceKind  # hard or soft
    status: str = ""  # the enhanced status code (RFC 3463), e.g. 5.1.1, when given
    diagnostic: str = ""


@dataclass(frozen=True)
class BounceReport:
    kind: BounceKind
    failures: list[FailedRecipient] = field(default_factory=list)
    # For a complaint: who complained (the recipient of our message).
    complainants: list[str] = field(default_factory=list)
    # The Message-ID of our message the report returns, without angle brackets, if quoted.
    returned_message_id: str = ""

    @property
    def is_bounce(self) -> bool:
        return self.kind in (BounceKind.HARD, BounceKind.SOFT)

    @property
    def recipients(self) -> list[str]:
        return [f.address for f in self.failures] or list(self.complainants)

    def sent_to(self, recipient: str) -> "BounceReport":
        """The report about a send known to have gone to `recipient` (its bounce address named
        it): that is the address that failed, whatever other one the report quotes (the
        address a mailbox forwarded to) or none."""
        if not self.is_bounce or not self.failures:
            return self
        first = self.failures[0]
        return replace(self, failures=[replace(first, address=recipient.lower())])

    def as_json(self) -> dict[str, object]:
        return {
            "is_bounce": self.is_bounce,
            "kind": str(self.kind),
            "recipients": self.recipients,
            "failures": [
                {"recipient": f.address, "kind": str(f.kind), "status": f.status}
                for f in self.failures
            ],
        }


NOT_A_BOUNCE = BounceReport(BounceKind.NONE)

# --- Hard or soft ------------------------------------------------------------------------

# Enhanced status codes that say the address or domain does not exist (RFC 3463): bad
# mailbox, bad system, mailbox has moved, domain accepts no mail (null MX, RFC 7505).
HARD_STATUSES = {"5.1.1", "5.1.2", "5.1.6", "5.1.10", "5.4.4"}
HARD_TEXT = re.compile(
    r"user unknown|unknown (user|recipient|mailbox|address|local[- ]part|alias)"
    r"|no such (user|mailbox|recipient|address|account|person|domain)"
    r"|(user|mailbox|address|recipient|account|addressee)(\s+\S+)? (does not|doesn't|did not) exist"
    r"|(user|mailbox|recipient|address|account)( name)? (not found|unknown|is unknown)"
    r"|invalid (recipient|mailbox|address|user)|not a valid (mailbox|recipient|user)"
    r"|(isn't|is not) a known user|unrouteable address|no mailbox here|mailbox not available"
    r"|destination mailbox address invalid|recipient address rejected: (user unknown|undeliverable)"
    r"|address (is )?invalid|user not (found|exist)|bad destination mailbox"
    r"|host (not found|unknown)|unknown host|domain (not found|does not exist|name not found)"
    r"|name or service not known|host or domain name not found|no mx record|mx record not found"
    r"|unrouteable mail domain|domain (.{1,80} )?does not accept mail|null mx"
    r"|has moved|moved permanently|no longer (valid|in use|available)"
    r"|not listed in (the )?(\w+ )?(directory|address book)|mailbox unavailable"
    r"|(doesn't|does not) have an? (\S+ )?account|domain is not reachable|no mx found"
    r"|recipient address rejected\.?\s*$",
    re.IGNORECASE,
)
# Words of a temporary or policy refusal: they keep a bounce soft whatever else it says
# ("550 5.7.1 recipient rejected: spam" is a filter, not a missing mailbox).
SOFT_TEXT = re.compile(
    r"quota|mailbox (is )?full|over ?quota|insufficient (storage|space)|exceed"
    r"|spam|blocked|block ?list|blacklist|dnsbl|spamhaus|reputation|policy|not permitted"
    r"|rate limit|too many|greylist|try (again )?later|temporar|deferred|timed? ?out|expired"
    r"|relay(ing)? (denied|not permitted|access denied)|authentication|spf|dkim|dmarc|reverse dns"
    r"|virus|content|too (large|big)|size limit|suspended|disabled|inactive|on hold",
    re.IGNORECASE,
)
STATUS_IN_TEXT = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def failure_kind(status: str, diagnostic: str) -> BounceKind:
    """Return hard when the status or the diagnostic says the address does not exist."""
    status = status or first_status(diagnostic)
    if status.startswith("4"):
        return BounceKind.SOFT
    if status in HARD_STATUSES:
        return BounceKind.HARD
    if status.startswith("5.7") or SOFT_TEXT.search(diagnostic):
        return BounceKind.SOFT
    if HARD_TEXT.search(diagnostic):
        return BounceKind.HARD
    return BounceKind.SOFT


def first_status(text: str) -> str:
    match = STATUS_IN_TEXT.search(text)
    return ".".join(match.groups()) if match else ""


def overall_kind(failures: list[FailedRecipient]) -> BounceKind:
    """A report with at least one address that does not exist is a hard bounce."""
    if any(f.kind == BounceKind.HARD for f in failures):
        return BounceKind.HARD
    return BounceKind.SOFT


# --- Reading a report -------------------------------------------------------------------


def classify_message(raw: bytes) -> BounceReport:
    """Say whether a raw email is a bounce (hard or soft), a complaint, an auto-reply, or none."""
    message = email.message_from_bytes(raw, policy=compat32)
    parts = list(message.walk())
    types = {part.get_content_type() for part in parts}
    if "message/feedback-report" in types or is_feedback_loop(message):
        return complaint_report(message, parts)
    dsn = [p for p in parts if p.get_content_type() in DSN_TYPES]
    if dsn:
        failures = dsn_failures(dsn, message)
        if failures is not None:
            if not failures:
                return NOT_A_BOUNCE  # a delivery report: every recipient got it
            return BounceReport(
                overall_kind(failures), failures, returned_message_id=returned_id(message, raw)
            )
    if looks_like_bounce(message):
        failures = free_form_failures(message)
        if failures:
            return BounceReport(
                overall_kind(failures), failures, returned_message_id=returned_id(message, raw)
            )
    if is_auto_reply(message):
        return BounceReport(BounceKind.AUTO_REPLY)
    return NOT_A_BOUNCE


DSN_TYPES = {"message/delivery-status", "message/global-delivery-status"}
FAILED_ACTIONS = {"failed", "delayed"}


def dsn_failures(dsn_parts: list[Message], message: Message) -> list[FailedRecipient] | None:
    """Return the failed recipients a DSN lists; [] when all were delivered; None if unreadable."""
    blocks = [block for part in dsn_parts for block in dsn_blocks(part)]
    recipients = [b for b in blocks if b.get("Final-Recipient") or b.get("Original-Recipient")]
    if not recipients:
        return None
    body = visible_text(message)
    failures = []
    for block in recipients:
        action = (block.get("Action") or "failed").strip().lower()
        if action not in FAILED_ACTIONS:
            continue
        address = dsn_address(block.get("Final-Recipient") or block.get("Original-Recipient"))
        status = clean_status(block.get("Status", ""))
        diagnostic = unfold(block.get("Diagnostic-Code", ""))
        if not diagnostic and address:
            diagnostic = text_near(body, address)
        if action == "delayed":
            failures.append(FailedRecipient(address, BounceKind.SOFT, status, diagnostic))
        else:
            failures.append(
                FailedRecipient(address, failure_kind(status, diagnostic), status, diagnostic)
            )
    return failures


def dsn_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # Some servers send the report as text: parse its header blocks by hand.
    text = payload if isinstance(payload, str) else ""
    return [
        email.message_from_string(chunk.strip() + "\n")
        for chunk in text.split("\n\n")
        if chunk.strip()
    ]


def dsn_address(value: str | None) -> str:
    """`rfc822; jeanne@example.fr` → jeanne@example.fr"""
    value = unfold(value or "")
    address = value.split(";", 1)[-1].strip().strip("<>").strip()
    return address.lower()


def clean_status(value: str) -> str:
    match = STATUS_IN_TEXT.search(value)
    return ".".join(match.groups()) if match else ""


def unfold(value: str) -> str:
    return " ".join(str(value).split())


def text_near(text: str, address: str, width: int = 600) -> str:
    """The text that follows the first mention of an address: its reason, in a free form."""
    index = text.lower().find(address.lower())
    return text[index : index + width] if index >= 0 else text[:width]


# --- Free-form bounces -------------------------------------------------------------------

BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailer|mmdf)@", re.I)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery (status )?notification|delivery (has )?failed|returned mail"
    r"|failure notice|mail delivery (failed|failure|system)|could not be delivered|not delivered"
    r"|delivery failure|non remis|non distribu|échec de (la )?(remise|distribution)"
    r"|unzustellbar|nicht zustellbar|returned to sender|rejected|bounce|mail system error",
    re.IGNORECASE,
)


def looks_like_bounce(message: Message) -> bool:
    sender = getaddresses([str(message.get("From", ""))])
    address = sender[0][1] if sender else ""
    subject = str(message.get("Subject", ""))
    return bool(
        BOUNCE_SENDER.match(address)
        or BOUNCE_SUBJECT.search(decode_header(subject))
        or not message.get("Return-Path", "x").strip("<> ")
    )


def free_form_failures(message: Message) -> list[FailedRecipient]:
    """Find failed recipients with flufl.bounce, then judge each by the text about it."""
    try:
        permanent, temporary = all_failures(message)
    except Exception:  # a detector tripping on odd input must not lose the email
        permanent, temporary = frozenset(), frozenset()
    addresses = [a.decode("utf-8", "replace").lower() for a in (*permanent, *temporary)]
    body = visible_text(message)
    failures = []
    for address in dict.fromkeys(addresses):
        diagnostic = text_near(body, address)
        failures.append(
            FailedRecipient(
                address, failure_kind("", diagnostic), first_status(diagnostic), diagnostic
            )
        )
    if not failures and (
        STATUS_IN_TEXT.search(body) or HARD_TEXT.search(body) or SOFT_TEXT.search(body)
    ):
        # flufl named nobody: the recipient is the one the returned message was sent to, or
        # the first other address the report quotes.
        address = next(iter(returned_recipients(message, body)), "")
        diagnostic = text_near(body, address) if address else body[:3000]
        failures.append(
            FailedRecipient(address, failure_kind("", diagnostic), first_status(diagnostic))
        )
    return failures


EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
RETURNED_TO = re.compile(r"^To:[ \t]*(.+)$", re.MULTILINE | re.IGNORECASE)


RETURNED_MESSAGE_ID = re.compile(r"^Message-ID:[ \t]*<([^>\s]+)>", re.MULTILINE | re.IGNORECASE)


def returned_headers(message: Message) -> list[Message]:
    """The headers of each returned original the report attaches, in order."""
    found = []
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            original = part.get_payload()
            if isinstance(original, list) and original:
                found.append(original[0])
            else:
                found.append(email.message_from_string(str(original)))
    return found


def returned_id(message: Message, raw: bytes) -> str:
    """The Message-ID of the returned original: in its attached headers, else quoted inline."""
    for headers in returned_headers(message):
        found = str(headers.get("Message-ID", "")).strip().strip("<>")
        if found:
            return found
    own = str(message.get("Message-ID", "")).strip().strip("<>")
    # Latin-1 maps every byte: a search for ASCII headers that cannot fail on odd charsets.
    quoted = [m for m in RETURNED_MESSAGE_ID.findall(raw.decode("latin-1")) if m != own]
    return quoted[0] if quoted else ""


def returned_recipients(message: Message, body: str) -> list[str]:
    """Where the returned message was going: its To, or addresses the report quotes."""
    ours = {
        a.lower() for _, a in getaddresses(message.get_all("To", []) + message.get_all("From", []))
    }
    for headers in returned_headers(message):
        found = [a.lower() for _, a in getaddresses(headers.get_all("To", [])) if a]
        if found:
            return found
    whole = str(message.get_payload()) if not message.is_multipart() else body
    quoted = [a.lower() for a in EMAIL_IN_TEXT.findall(body)]
    for line in RETURNED_TO.findall(whole):
        quoted += [a.lower() for _, a in getaddresses([line]) if a]
    return [a for a in dict.fromkeys(quoted) if a not in ours and not BOUNCE_SENDER.match(a)]


def visible_text(message: Message) -> str:
    """The plain text of the report itself, without the returned original message."""
    texts = []
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            break
        if part.get_content_maintype() == "text" and part.get_content_subtype() in (
            "plain",
            "html",
        ):
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "utf-8"
            try:
                text = payload.decode(charset, "replace")
            except LookupError:
                text = payload.decode("utf-8", "replace")
            if part.get_content_subtype() == "html":
                text = re.sub(r"<[^>]+>", " ", text)
            texts.append(text)
    return "\n".join(texts)


# --- Complaints and auto-replies ---------------------------------------------------------


def is_feedback_loop(message: Message) -> bool:
    """Feedback-loop reports that are not ARF (older Hotmail JMRP, Yahoo): named as such."""
    subject = decode_header(str(message.get("Subject", ""))).lower()
    return (
        "complaint" in subject
        or "abuse report" in subject
        or bool(message.get("X-HmXmrOriginalRecipient"))
    )


def complaint_report(message: Message, parts: list[Message]) -> BounceReport:
    """Who complained: the report's Original-Rcpt-To, else the To of the returned message."""
    complainants: list[str] = []
    for part in parts:
        if part.get_content_type() == "message/feedback-report":
            for block in dsn_blocks(part):
                complainants += [dsn_address(v) for v in block.get_all("Original-Rcpt-To", [])]
    if not complainants and message.get("X-HmXmrOriginalRecipient"):
        complainants.append(str(message["X-HmXmrOriginalRecipient"]).strip().lower())
    if not complainants:
        first = next(iter(returned_headers(message)), None)
        if first is not None:
            complainants += [a.lower() for _, a in getaddresses(first.get_all("To", [])) if a]
    return BounceReport(BounceKind.COMPLAINT, complainants=list(dict.fromkeys(complainants)))


AUTO_REPLY_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?(reply|response|antwort)|réponse automatique|absence|absent"
    r"|out of (the )?office|vacation|congés|abwesenheit|autosvar|automatisch)",
    re.IGNORECASE,
)


def is_auto_reply(message: Message) -> bool:
    """An out-of-office or vacation answer (RFC 3834 and the headers mail clients add)."""
    auto_submitted = str(message.get("Auto-Submitted", "")).lower()
    if auto_submitted.startswith("auto-replied"):
        return True
    if any(message.get(h) for h in ("X-Autoreply", "X-Autorespond", "X-Vacation")):
        return True
    if str(message.get("Precedence", "")).lower() == "auto_reply":
        return True
    subject = decode_header(str(message.get("Subject", ""))).strip()
    return bool(AUTO_REPLY_SUBJECT.match(subject))
