"""Open pixel and click tracking of templated emails, through signed links.

At send time (messaging.outgoing) the HTML part is instrumented: every http(s) link goes
through our redirect with a signed token naming the delivery and the target, and a 1×1 GIF
names the delivery. The redirect goes only where the signature says: a link cannot be turned
into an open redirect. Left direct: unsubscribe and preference-centre links (a redirect in
front of them spoils one-click unsubscribe and the quality gate's check), mailto:, tel: and
every other scheme. The plain-text part keeps direct links: it is read where HTML is not
(and read aloud), where a long opaque redirect looks like phishing and cannot be checked by
eye; the opens and clicks it misses are few.

What consent means here. The CNIL's draft recommendation on tracking pixels in emails
(public consultation June–July 2025) puts them under article 82 of the loi Informatique et
Libertés: measuring opens per recipient (for campaign performance, send frequency,
personalisation or profiles) needs the recipient's prior consent; only security and a global,
non-identifying open rate are exempt, and a withdrawal applies at once, even to emails already
sent. So:
- the pixel is put only in emails to customers whose consent ledger grants profiling
  (Purpose.PROFILING, which needs an opt-in: consents.rules), and an open is recorded only if
  that consent still stands when the pixel is fetched;
- click tracking reads nothing on the customer's device: the redirect only sees the request
  the click makes, so it rests on the company's legitimate interest under the GDPR, and the
  customer's objection stops it: no tracked links for a customer who refused or withdrew
  profiling, and no click recorded after the objection (the redirect still works);
- the company switches either off for everyone with the TrackingPolicy (admin).

Machines: Apple Mail Privacy Protection fetches every image as the message arrives, with the
bare user agent "Mozilla/5.0"; security gateways follow every link seconds after delivery,
often with HEAD or an identifying user agent. Such hits are recorded apart (`automated`) and
never stamp Delivery.opened_at / clicked_at, which the campaign report counts. Gmail's and
Yahoo's image proxies fetch on a real open, so they count.
"""

import html
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.encoding import iri_to_uri

from comptoir.consents.models import Channel, Purpose
from comptoir.consents.rules import ConsentFacts, Reason, may_send
from comptoir.core.signing import Signer, public_url_with
from comptoir.customers.models import Customer
from comptoir.messaging.models import Delivery, TrackingEvent, TrackingPolicy
from comptoir.messaging.quality_gate import UNSUBSCRIBE_LINK

logger = logging.getLogger(__name__)

# Each token kind has its own salt: an open token is no click token, and neither is a
# preference-centre token (consents.links).
CLICK_SALT = "comptoir.messaging.tracking.click"
OPEN_SALT = "comptoir.messaging.tracking.open"
TRACKED_SCHEMES = ("http", "https")
# Our own pages a link goes to directly: the preference centre and unsubscribe (whatever
# their wording), and tracking links already in place.
LEFT_DIRECT_NAMESPACES = frozenset({"consents", "messaging"})
# Security gateways follow the links of a message as it arrives; a person is rarely faster.
SCANNER_WINDOW = timedelta(seconds=10)
# Apple's privacy proxy says only this; tools and scanners say who they are.
BARE_USER_AGENT = "Mozilla/5.0"
MACHINE_USER_AGENT = re.compile(
    r"bot\b|crawl|spider|slurp|python|curl|wget|go-http|okhttp|java/|libwww|httpclient|"
    r"headless|phantom|scan|barracuda|mimecast|proofpoint|messagelabs|symantec|trendmicro|"
    r"fortinet|sophos|safelinks|urldefense|cloudmark|forcepoint",
    re.I,
)
USER_AGENT_KEPT = 200
URL_KEPT = 2048
# The HTML comes from css-inline's serialiser (rendering.compile_html), which writes every
# attribute double-quoted and escaped: a pattern over <a> elements is exact on it, and costs a
# fraction of a parse and re-serialisation (which would also rewrite Outlook's conditional
# comments).
ANCHOR = re.compile(r"<a\b(?P<attributes>[^>]*)>(?P<content>.*?)</a\s*>", re.I | re.S)
HREF = re.compile(
    r"""(?P<before>(?<![\w-])href\s*=\s*)(?P<quote>["'])(?P<value>.*?)(?P=quote)""", re.I | re.S
)
TAG = re.compile(r"<[^>]*>")
BODY_END = re.compile(r"</body\s*>", re.I)
# A transparent 1×1 GIF.
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@dataclass(frozen=True)
class TrackingPlan:
    """What to instrument in one email."""

    opens: bool
    clicks: bool


@dataclass(frozen=True)
class TrackedLink:
    delivery_id: int
    url: str


# --- The company's policy and the customer's consent --------------------------------------


# A batch of sends (messaging.dispatch.send_batch) reads the policy once and passes the
# consent rows it read for its customers: (policy, facts) while it runs.
BATCH_READS: ContextVar[tuple[TrackingPolicy, ConsentFacts] | None] = ContextVar(
    "tracking_batch_reads", default=None
)


def current_policy() -> TrackingPolicy:
    """Return the company's tracking policy, or the defaults from COMPTOIR_TRACKING."""
    batch = BATCH_READS.get()
    if batch is not None:
        return batch[0]
    return TrackingPolicy.objects.filter(pk=1).first() or TrackingPolicy()


@contextmanager
def read_once_for_batch(facts: ConsentFacts) -> Iterator[None]:
    """Within this block, the policy is read once and consent comes from the batch's facts."""
    token = BATCH_READS.set((current_policy(), facts))
    try:
        yield
    finally:
        BATCH_READS.reset(token)


def profiling_decision(customer: Customer, at: datetime | None = None) -> str:
    """Return the consent rules' reason for profiling this customer (granted, refused…)."""
    batch = BATCH_READS.get()
    facts = batch[1] if batch is not None else None
    return may_send(customer, Purpose.PROFILING, Channel.EMAIL, at, facts=facts).reason


def opens_allowed(reason: str) -> bool:
    # Prior consent: without a statement there is no pixel (CNIL, article 82).
    return reason == Reason.GRANTED


def clicks_allowed(reason: str) -> bool:
    # Legitimate interest, until the customer objects.
    return reason not in (Reason.REFUSED, Reason.WITHDRAWN)


def tracking_plan(delivery: Delivery) -> TrackingPlan:
    """Decide what to track in this delivery: the company's policy, then the customer's consent."""
    if delivery.channel != Channel.EMAIL or delivery.customer is None:
        return TrackingPlan(opens=False, clicks=False)
    policy = current_policy()
    if not (policy.open_tracking or policy.click_tracking):
        return TrackingPlan(opens=False, clicks=False)
    reason = profiling_decision(delivery.customer)
    return TrackingPlan(
        opens=policy.open_tracking and opens_allowed(reason),
        clicks=policy.click_tracking and clicks_allowed(reason),
    )


# --- Signed links --------------------------------------------------------------------------


def click_url(delivery_id: int, url: str) -> str:
    """Return our redirect URL for a link of this delivery; it carries the target, signed.

    Not compressed: a web address is too short for zlib to win much, and compressing was a
    third of the cost of a link (tokens from before, compressed, still verify)."""
    token = Signer(salt=CLICK_SALT).sign_object([delivery_id, url])
    return public_url_with("messaging:tracked_click", token)


def read_click_token(token: str) -> TrackedLink | None:
    """Return the delivery and target a click token names, or None if it was altered."""
    try:
        delivery_id, url = Signer(salt=CLICK_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(delivery_id, int) or not isinstance(url, str) or not is_tracked_url(url):
        return None
    return TrackedLink(delivery_id, url)


def pixel_url(delivery_id: int) -> str:
    token = Signer(salt=OPEN_SALT).sign(str(delivery_id))
    return public_url_with("messaging:open_pixel", token)


def read_open_token(token: str) -> int | None:
    """Return the delivery an open token names, or None if it was altered."""
    try:
        value = Signer(salt=OPEN_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


# --- Instrumenting the HTML ----------------------------------------------------------------


def instrument_html(html_part: str, delivery: Delivery) -> str:
    """Return the email's HTML with tracked links and the open pixel, as the plan allows."""
    if not html_part:
        return html_part
    plan = tracking_plan(delivery)
    if plan.clicks:
        html_part = track_links(html_part, delivery.pk)
    if plan.opens:
        html_part = add_pixel(html_part, delivery.pk)
    return html_part


def track_links(html_part: str, delivery_id: int) -> str:
    def rewrite(anchor: re.Match[str]) -> str:
        attributes = anchor["attributes"]
        target = tracked_target(attributes, anchor["content"], settings.PUBLIC_URL)
        if target is None:
            return anchor[0]
        url, start, end = target
        tracked = html.escape(click_url(delivery_id, url), quote=True)
        return f"<a{attributes[:start]}{tracked}{attributes[end:]}>{anchor['content']}</a>"

    return ANCHOR.sub(rewrite, html_part)


@lru_cache(maxsize=2048)
def tracked_target(attributes: str, content: str, public_url: str) -> tuple[str, int, int] | None:
    """The target of a link that goes through the redirect, and where its href value lies in
    the attributes; None for a link left direct. The same for every customer of a campaign
    but a few personalised links, hence the cache (public_url is part of its key)."""
    href = HREF.search(attributes)
    if href is None:
        return None
    url = html.unescape(href["value"]).strip()
    text = html.unescape(TAG.sub("", content))
    if not should_track(url, text):
        return None
    return url, href.start("value"), href.end("value")


def should_track(url: str, text: str) -> bool:
    """Say whether a link goes through the redirect: web links, but not the way out."""
    if not is_tracked_url(url):
        return False  # mailto:, tel:, anchors, relative links, anything else
    if UNSUBSCRIBE_LINK.search(url) or UNSUBSCRIBE_LINK.search(text):
        return False
    return own_page(url) not in LEFT_DIRECT_NAMESPACES


def own_page(url: str) -> str:
    """Return the namespace of our own page a link points to ("consents"…), or ""."""
    if not url.startswith(settings.PUBLIC_URL + "/"):
        return ""
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return ""
    return match.namespace


def is_tracked_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in TRACKED_SCHEMES and bool(parts.netloc)


def add_pixel(html_part: str, delivery_id: int) -> str:
    # Empty alt: screen readers skip it, and a client that blocks images shows no placeholder.
    pixel = (
        f'<img src="{html.escape(pixel_url(delivery_id), quote=True)}" width="1" height="1" '
        'alt="" style="display:block;width:1px;height:1px;border:0;" />'
    )
    ends = list(BODY_END.finditer(html_part))
    if not ends:
        return html_part + pixel
    position = ends[-1].start()
    return html_part[:position] + pixel + html_part[position:]


# --- Recording -----------------------------------------------------------------------------


def looks_automated(
    *, user_agent: str, at: datetime, sent_at: datetime | None, head: bool = False
) -> bool:
    """Say whether a hit is probably a machine's: a prefetch, a scanner, a tool."""
    agent = user_agent.strip()
    if head or not agent or agent == BARE_USER_AGENT or MACHINE_USER_AGENT.search(agent):
        return True
    return sent_at is not None and timedelta(0) <= at - sent_at < SCANNER_WINDOW


def record_hit(
    *,
    delivery_id: int,
    kind: str,
    url: str = "",
    user_agent: str = "",
    at: datetime | None = None,
    head: bool = False,
    provider: str = "",
) -> bool:
    """Record an open or a click if the policy and the customer's consent allow it now.

    Returns False when nothing was recorded: an unknown delivery, tracking switched off
    since, consent withdrawn since.
    """
    at = at or timezone.now()
    delivery = (
        Delivery.objects.select_related("customer")
        .only("pk", "sent_at", "opened_at", "clicked_at", "customer")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.customer is None:
        return False
    policy = current_policy()
    switched_on = policy.open_tracking if kind == TrackingEvent.Kind.OPEN else policy.click_tracking
    if not switched_on:
        return False
    reason = profiling_decision(delivery.customer, at)
    allowed = opens_allowed(reason) if kind == TrackingEvent.Kind.OPEN else clicks_allowed(reason)
    if not allowed:
        return False
    automated = looks_automated(user_agent=user_agent, at=at, sent_at=delivery.sent_at, head=head)
    # One transaction: one commit (on SQLite, one sync to disk) per hit.
    with transaction.atomic():
        count_event(
            delivery_id=delivery.pk,
            kind=kind,
            url=iri_to_uri(url)[:URL_KEPT] if url else "",
            automated=automated,
            user_agent=user_agent.strip()[:USER_AGENT_KEPT],
            provider=provider[:32],
            at=at,
        )
        if not automated:
            stamp_first(delivery, kind, at)
    return True


def count_event(
    *,
    delivery_id: int,
    kind: str,
    url: str,
    automated: bool,
    user_agent: str,
    provider: str,
    at: datetime,
) -> None:
    """Add one to the event's row, creating it on the first hit (two at once are fine)."""
    same = TrackingEvent.objects.filter(
        delivery_id=delivery_id, kind=kind, url=url, automated=automated
    )
    if same.update(count=F("count") + 1, last_at=at):
        return
    try:
        with transaction.atomic():
            TrackingEvent.objects.create(
                delivery_id=delivery_id,
                kind=kind,
                url=url,
                automated=automated,
                user_agent=user_agent,
                provider=provider,
                at=at,
                last_at=at,
            )
    except IntegrityError:
        # Another request created it between our update and insert: count on it.
        same.update(count=F("count") + 1, last_at=at)


def stamp_first(delivery: Delivery, kind: str, at: datetime) -> None:
    """Stamp the delivery's first open (and first click), once, whoever comes first.

    A click proves the message was opened, even when images were blocked or no pixel was
    put in: it stamps both.
    """
    if kind == TrackingEvent.Kind.OPEN:
        if delivery.opened_at is None:
            Delivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=at)
        return
    if delivery.clicked_at is None or delivery.opened_at is None:
        Delivery.objects.filter(pk=delivery.pk).filter(
            Q(clicked_at__isnull=True) | Q(opened_at__isnull=True)
        ).update(
            clicked_at=Coalesce("clicked_at", Value(at, output_field=DateTimeField())),
            opened_at=Coalesce("opened_at", Value(at, output_field=DateTimeField())),
        )


def record_hit_safely(**hit: Any) -> None:
    """Record a hit from a public request: a failure must not break the customer's click."""
    try:
        record_hit(**hit)
    except DatabaseError:
        logger.exception("tracking hit not recorded: %s", hit.get("delivery_id"))
