"""Rendering a message template for one customer: Jinja → MJML → inlined CSS → text part.

Templates are written by users, so they run in Jinja's immutable sandbox and see only plain
values built here (dicts, strings, numbers, dates), never a model instance: no way from a
template to the settings, the ORM, the filesystem or Python's internals. A missing value
renders empty instead of failing, and every failure of a template, whatever its cause, comes
back as a TemplateError with a message an author can act on.
"""

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import css_inline
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from jinja2 import (
    ChainableUndefined,
    FunctionLoader,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from mjml import mjml_to_html

from comptoir.consents.links import preference_url
from comptoir.customers.models import BusinessEvent, Customer, Identity
from comptoir.customers.profile import greeting
from comptoir.messaging.models import PURPOSE_OF_KIND, MessageBlock, MessageKind, MessageTemplate
from comptoir.messaging.plain_text import html_to_plain_text
from comptoir.messaging.precompiled import CompiledMessage, NotCompilable, compile_once
from comptoir.messaging.quality_gate import MARKETING, RELATIONSHIP, TRANSACTIONAL

logger = logging.getLogger(__name__)

# The quality gate's word for each kind of template.
GATE_KIND = {
    MessageKind.TRANSACTIONAL: TRANSACTIONAL,
    MessageKind.RELATIONSHIP: RELATIONSHIP,
    MessageKind.MARKETING: MARKETING,
}
BLOCK_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")
# mj-include reads a file from the disk: a template includes blocks, never files.
MJ_INCLUDE = re.compile(r"<\s*mj-include", re.I)
NARROW_NO_BREAK_SPACE = "\u202f"
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip


class TemplateError(Exception):
    """A template that cannot be rendered; the message says where and why."""


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    html: str
    text: str
    kind: str  # the quality gate's kind: transactional, relationship or marketing
    purpose: str  # the consent purpose: service or marketing


class SilentUndefined(ChainableUndefined):
    """A missing value, or a missing attribute of one, renders as nothing."""

    __slots__ = ()


# --- Filters -----------------------------------------------------------------------------


def euros(value: Any) -> str:
    """1234.5 → "1 234,50 €", with the narrow no-break spaces of French typography."""
    if value is None or isinstance(value, SilentUndefined) or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{NARROW_NO_BREAK_SPACE.join(groups)},{cents}{NARROW_NO_BREAK_SPACE}€"


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return as_date(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def date_fr(value: Any) -> str:
    """A date in words, as a French letter writes it: "jeudi 26 novembre 2026"."""
    day = as_date(value)
    if day is None:
        return "" if isinstance(value, SilentUndefined) or value is None else str(value)
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"


@pass_context
def with_first_name(context: Context, text: str) -> str:
    """ "votre carte expire" → "Jeanne, votre carte expire", or "Votre carte expire"."""
    first_name = context.get("first_name") or ""
    text = str(text)
    if first_name:
        return f"{first_name}, {text}"
    return text[:1].upper() + text[1:]


# --- The sandbox -------------------------------------------------------------------------

# Beyond this, "x" * n or a ** b is a way to exhaust the server's memory, not a message.
LARGEST_RESULT = 100_000


class MessageSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError("exponent too large")
        if operator == "*" and (isinstance(left, (str, list)) or isinstance(right, (str, list))):
            sequence, times = (left, right) if isinstance(left, (str, list)) else (right, left)
            if isinstance(times, int) and len(sequence) * times > LARGEST_RESULT:
                raise SecurityError("repetition too large")
        return super().call_binop(context, operator, left, right)


def make_environment(blocks: Mapping[str, str], *, autoescape: bool) -> MessageSandbox:
    def load_block(name: str) -> str:
        if not BLOCK_NAME.match(name) or name not in blocks:
            raise TemplateNotFound(name)
        return blocks[name]

    environment = MessageSandbox(
        loader=FunctionLoader(load_block),
        autoescape=autoescape,
        undefined=SilentUndefined,
        cache_size=0,
    )
    # Only range is kept: lipsum, cycler, joiner and namespace are of no use in a message.
    environment.globals = {"range": environment.globals["range"]}
    environment.filters.update(euros=euros, date_fr=date_fr, with_first_name=with_first_name)
    return environment


def describe(error: Exception) -> str:
    if isinstance(error, TemplateSyntaxError):
        where = f" ({error.name})" if error.name else ""
        return _("Line %(line)s%(where)s: %(problem)s") % {
            "line": error.lineno,
            "where": where,
            "problem": error.message,
        }
    if isinstance(error, TemplateNotFound):
        return _("No block named “%(name)s”: include one of the message blocks.") % {
            "name": error.name
        }
    return f"{type(error).__name__}: {error}"


def check_template_source(source: str) -> None:
    """Raise TemplateError if the source is not a valid template (syntax only)."""
    try:
        make_environment({}, autoescape=True).parse(source)
    except TemplateSyntaxError as error:
        raise TemplateError(describe(error)) from error


def render_source(
    source: str, context: Mapping[str, Any], blocks: Mapping[str, str], *, autoescape: bool
) -> str:
    try:
        return parsed_source(source, BlockSet(blocks), autoescape).render(context)
    # A template is user code: a syntax error, a missing block, a division by zero… must come
    # back as a message for its author, never as a server error.
    except Exception as error:
        raise TemplateError(describe(error)) from error


@lru_cache(maxsize=512)
def parsed_source(source: str, blocks: "BlockSet", autoescape: bool) -> Template:
    """The source parsed once (a subject, an SMS text): the sandbox is the same each time."""
    return make_environment(blocks, autoescape=autoescape).from_string(source)


# --- From source to email parts ----------------------------------------------------------


def compile_html(rendered: str) -> str:
    """Compile MJML (or take HTML as it is) and inline the CSS for mail clients."""
    if rendered.lstrip().lower().startswith("<mjml"):
        if MJ_INCLUDE.search(rendered):
            raise TemplateError(_("mj-include is not allowed: include a message block instead."))
        try:
            result = mjml_to_html(rendered)
        # The MJML compiler fails with whatever Python raises (KeyError for an unknown tag).
        except Exception as error:
            raise TemplateError(f"MJML: {describe(error)}") from error
        if result.errors:
            raise TemplateError("MJML: " + "; ".join(map(str, result.errors)))
        rendered = result.html
    inliner = css_inline.CSSInliner(
        # The media queries of responsive layouts cannot be inlined: keep them in <style>.
        keep_at_rules=True,
        load_remote_stylesheets=False,
    )
    try:
        return inliner.inline(rendered)
    except (css_inline.InlineError, ValueError) as error:
        raise TemplateError(f"CSS: {error}") from error


def one_line(subject: str) -> str:
    # A subject is a header: a line break in it would start another header.
    return " ".join(subject.split())


# --- The context: plain values only ------------------------------------------------------


def plain(value: Any, depth: int = 0) -> Any:
    """A copy holding only plain values: whatever else comes in is turned into text."""
    if depth > 8:
        return None
    if value is None or isinstance(value, (str, bool, int, float, Decimal, date)):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    return str(value)


def customer_context(customer: Customer) -> dict[str, Any]:
    emails = [i.value for i in customer.identities.all() if i.kind == Identity.Kind.EMAIL]
    store = customer.store
    return {
        "id": customer.pk,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company_name": customer.company_name,
        "email": emails[0] if emails else "",
        "store": {
            "name": store.name,
            "city": store.city,
            "phone": store.phone,
            "opening_hours": store.opening_hours,
        }
        if store
        else {},
    }


def event_context(event: BusinessEvent | Mapping[str, Any] | None) -> dict[str, Any]:
    if event is None:
        return {}
    if isinstance(event, BusinessEvent):
        return plain(
            {
                **event.data,
                "kind": event.kind,
                "occurred_at": event.occurred_at,
                "title": event.title,
                "amount": event.amount,
                "currency": event.currency,
                "reference": event.external_id,
            }
        )
    return plain(event)


def build_context(
    *,
    template: MessageTemplate,
    customer: Customer,
    event: BusinessEvent | Mapping[str, Any] | None,
    extra: Mapping[str, Any] | None,
) -> dict[str, Any]:
    first_name = customer.first_name.strip()
    preferences = preference_url(customer)
    context = {
        "customer": customer_context(customer),
        "first_name": first_name,
        "greeting": greeting(first_name),
        "event": event_context(event),
        "company": {
            "name": settings.COMPTOIR_COMPANY_NAME,
            "website": settings.COMPTOIR_COMPANY_WEBSITE,
            "support_address": settings.COMPTOIR_SUPPORT_ADDRESS,
        },
        "message": {"kind": template.kind, "name": template.name},
        # The sending path puts its own link here; a preview shows the real preference centre.
        "unsubscribe_url": preferences,
        "preferences_url": preferences,
        "today": timezone.localdate(),
    }
    context["store"] = context["customer"]["store"]
    context.update(plain(dict(extra or {})))
    return context


def render_message(
    *,
    template: MessageTemplate,
    customer: Customer,
    event: BusinessEvent | Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    subject: str | None = None,
    body: str | None = None,
) -> RenderedMessage:
    """Render the template for this customer and event; send nothing.

    `subject` and `body` replace the template's own, to preview an edit before it is saved.
    Raises TemplateError when the template cannot be rendered.
    """
    blocks = current_blocks()
    context = build_context(template=template, customer=customer, event=event, extra=extra)
    subject_source = template.subject if subject is None else subject
    body_source = template.body if body is None else body
    rendered_subject = one_line(render_source(subject_source, context, blocks, autoescape=False))
    context["subject"] = rendered_subject
    html, text = render_body(body_source, context, blocks)
    kind = MessageKind(template.kind)
    return RenderedMessage(
        subject=rendered_subject,
        html=html,
        text=text,
        kind=GATE_KIND[kind],
        purpose=str(PURPOSE_OF_KIND[kind]),
    )


def render_body(body: str, context: dict[str, Any], blocks: Mapping[str, str]) -> tuple[str, str]:
    """Return the HTML and text parts: from the body compiled once when it can be."""
    key = (body, BlockSet(blocks))
    compiled = compiled_body(*key)
    verdict = VERDICTS.get(key)
    if compiled is not None and verdict is not False:
        try:
            fast = compiled.render_html(context), compiled.render_text(context)
        # Whatever fails (a division by zero in a value) fails again in the full path below,
        # which says it in the author's words.
        except Exception:
            fast = None
        if fast is not None and verdict:
            return fast
        if fast is not None:
            html = render_in_full(body, context, blocks)
            full = html, html_to_plain_text(html)
            if len(VERDICTS) > 512:  # previews of edits: each is a body of its own
                VERDICTS.clear()
            VERDICTS[key] = same_message(fast, full)
            if not VERDICTS[key]:
                logger.warning("a template compiled once renders differently: rendered in full")
            return full
    html = render_in_full(body, context, blocks)
    return html, html_to_plain_text(html)


def render_in_full(body: str, context: dict[str, Any], blocks: Mapping[str, str]) -> str:
    return compile_html(render_source(body, context, blocks, autoescape=True))


# Whether a body's compiled form gave the full path's message for the first customer it met
# (False: rendered in full from then on).
VERDICTS: dict[tuple[str, "BlockSet"], bool] = {}


def same_message(fast: tuple[str, str], full: tuple[str, str]) -> bool:
    """Whether two renderings are one message: the same text part, and the same HTML once
    both are written by the same serialiser (Jinja escapes ' as &#39;, html5ever does not)
    with white space runs as one space (the compiler keeps the blank lines left by a
    template's {% if %} tags, which a browser shows as one space like any other run)."""
    return fast[1] == full[1] and normalised_html(fast[0]) == normalised_html(full[0])


def normalised_html(html: str) -> str:
    serialised = css_inline.CSSInliner(
        inline_style_tags=False, keep_style_tags=True, load_remote_stylesheets=False
    ).inline(html)
    return HTML_SPACES.sub(" ", serialised)


HTML_SPACES = re.compile(r"[ \t\r\n\f]+")


class BlockSet(dict[str, str]):
    """The message blocks as a cache key (a dict cannot be one)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


# A version is compiled once per process; a few hundred cover every template in use, and an
# edited block or body is another key (never a stale compilation).
@lru_cache(maxsize=256)
def compiled_body(body: str, blocks: BlockSet) -> CompiledMessage | None:
    try:
        return compile_once(body, dict(blocks), make_environment, compile_html)
    except (NotCompilable, TemplateError, TemplateSyntaxError, TemplateNotFound, SecurityError):
        return None
    except Exception:  # the full path will say what is wrong, per customer, as before
        logger.exception("compiling a template once failed; it is rendered in full")
        return None


_shared_blocks: ContextVar[dict[str, str] | None] = ContextVar("shared_blocks", default=None)


def current_blocks() -> dict[str, str]:
    shared = _shared_blocks.get()
    if shared is not None:
        return shared
    return dict(MessageBlock.objects.values_list("name", "body"))


@contextmanager
def blocks_read_once() -> Iterator[None]:
    """Within this block, every rendering uses the message blocks read once here (a batch
    of sends reads them once, not once per message)."""
    token = _shared_blocks.set(dict(MessageBlock.objects.values_list("name", "body")))
    try:
        yield
    finally:
        _shared_blocks.reset(token)


def render_text(
    *,
    template: MessageTemplate,
    customer: Customer,
    source: str,
    event: BusinessEvent | Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Render a plain-text variant of the template (its SMS text) for this customer."""
    context = build_context(template=template, customer=customer, event=event, extra=extra)
    return render_source(source, context, {}, autoescape=False).strip()
