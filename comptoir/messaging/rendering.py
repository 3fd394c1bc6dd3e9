"""Rendering a message template for one customer: Jinja → MJML → inlined CSS → text part.

Templates are written by users, so they run in Jinja's immutable sandbox and see only plain
values built here (dicts, strings, numbers, dates), never a model instance: no way from a
template to the settings, the ORM, the filesystem or Python's internals. A missing value
renders empty instead of failing, and every failure of a template, whatever its cause, comes
back as a TemplateError with a message an author can act on.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import css_inline
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from jinja2 import (
    ChainableUndefined,
    FunctionLoader,
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
from comptoir.messaging.quality_gate import MARKETING, RELATIONSHIP, TRANSACTIONAL

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
    environment = make_environment(blocks, autoescape=autoescape)
    try:
        return environment.from_string(source).render(context)
    # A template is user code: a syntax error, a missing block, a division by zero… must come
    # back as a message for its author, never as a server error.
    except Exception as error:
        raise TemplateError(describe(error)) from error


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
    blocks = dict(MessageBlock.objects.values_list("name", "body"))
    context = build_context(template=template, customer=customer, event=event, extra=extra)
    rendered_subject = one_line(
        render_source(
            template.subject if subject is None else subject, context, blocks, autoescape=False
        )
    )
    context["subject"] = rendered_subject
    html = compile_html(
        render_source(template.body if body is None else body, context, blocks, autoescape=True)
    )
    kind = MessageKind(template.kind)
    return RenderedMessage(
        subject=rendered_subject,
        html=html,
        text=html_to_plain_text(html),
        kind=GATE_KIND[kind],
        purpose=str(PURPOSE_OF_KIND[kind]),
    )


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
