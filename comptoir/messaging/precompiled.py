"""A template version compiled once, then rendered for each customer by Jinja alone.

Compiling MJML and inlining the CSS takes tens of milliseconds, and writing the text part
from the HTML a few more: per customer, a 100,000-recipient campaign could not go out at a
thousand messages a second. Yet only the Jinja values change from one customer to the next.
So the template is compiled once with its Jinja markup protected:

1. flatten: `{% extends %}`, `{% block %}` and `{% include %}` are resolved by Jinja itself
   (the message blocks are MJML fragments that must be compiled in place), every other tag
   and expression stands in the source as an opaque word (a token);
2. the flat MJML is compiled and its CSS inlined by the same functions as the full path;
3. the tokens in the result become Jinja tags again: an HTML template, and from it a text
   template written by the same text writer (plain_text), whose two decisions that depend on
   values (a link's URL after its words, the signature separator) are left as markers that
   `finish_text` settles after rendering.

This holds only where the compiler passes Jinja's output through untouched, so a template
is compiled this way only when every token sits where that is true (inside mj-text and the
other content components, in an href, src, alt or title attribute; control tags around
balanced HTML) and the compiler kept every token in place. Anything else, or any doubt, and
`compile_once` answers None: the template is rendered in full for each customer, as before.
rendering.render_message also compares both ways for the first customer a version meets.
"""

import re
import secrets
from dataclasses import dataclass
from typing import Any

from jinja2 import Template

from comptoir.messaging import plain_text
from comptoir.messaging.plain_text import (
    BLANK_LINES,
    DOUBLE_SPACES,
    SPACES,
    TextWriter,
    link_suffix,
    tidy,
)

# Jinja tags resolved while flattening; a template using any other tag than these and the
# control tags below is rendered in full for each customer.
STRUCTURE_TAGS = {"extends", "include", "block", "endblock"}
OPENING_TAGS = {"if", "for", "with"}
MIDDLE_TAGS = {"elif", "else"}
CLOSING_TAGS = {"endif", "endfor", "endwith"}
CONTROL_TAGS = OPENING_TAGS | MIDDLE_TAGS | CLOSING_TAGS
# Names whose output is markup, or that reach outside the value given: the compiler would
# have seen that markup in the full path.
UNSAFE_NAMES = {"safe", "xmlattr", "self", "super", "caller", "varargs", "kwargs", "indent"}
# Attributes the compilers copy as they are; a value anywhere else may be read by them (a
# width, a colour, a class a CSS rule selects).
VALUE_ATTRIBUTES = {"href", "src", "alt", "title"}
# MJML components whose content is HTML passed through as it is.
MJML_CONTENT = {
    "mj-text",
    "mj-button",
    "mj-raw",
    "mj-table",
    "mj-title",
    "mj-preview",
    "mj-navbar-link",
    "mj-social-element",
    "mj-accordion-title",
    "mj-accordion-text",
}
STYLE_ELEMENTS = {"style", "script", "mj-style", "mj-attributes", "mj-class", "mj-font"}
VOID = plain_text.VOID | {"img", "meta", "link"}

# Markers left in the text template, settled by finish_text (private-use characters).
LINK_START, LINK_TARGET, LINK_END, SIGNATURE = "\ue000", "\ue001", "\ue002", "\ue003"
MARKERS = LINK_START + LINK_TARGET + LINK_END + SIGNATURE
DROP_MARKERS = str.maketrans("", "", MARKERS)
INNERMOST_LINK = re.compile(
    f"{LINK_START}([^{LINK_START}]*?){LINK_TARGET}([^{LINK_END}]*){LINK_END}"
)
SPACES_AROUND_LINE_BREAK = re.compile(" *\n *")
JINJA_OPENERS = re.compile(r"\{(?=[{%#])")
TAG = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][\w:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
ATTRIBUTE = re.compile(r"([^\s=/>]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")


class NotCompilable(Exception):
    """The template cannot be compiled once: it is rendered in full for each customer."""


@dataclass(frozen=True)
class Tokens:
    """The opaque words standing for Jinja tags in a source being compiled."""

    nonce: str
    tags: dict[str, str]

    @classmethod
    def new(cls) -> "Tokens":
        return cls("jq" + secrets.token_hex(4), {})

    def add(self, tag: str, control: bool) -> str:
        token = f"{self.nonce}{'c' if control else 'e'}{len(self.tags)}x"
        self.tags[token] = tag
        return token

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(f"{self.nonce}[ce]\\d+x")

    def is_control(self, token: str) -> bool:
        return token[len(self.nonce)] == "c"


@dataclass(frozen=True)
class CompiledMessage:
    html: Template
    text: Template

    def render_html(self, context: dict[str, Any]) -> str:
        return self.html.render(context)

    def render_text(self, context: dict[str, Any]) -> str:
        return finish_text(self.text.render(context))


# --- 1. Flatten: blocks and inheritance resolved, every other tag a token ------------------


def protect(environment: Any, source: str, tokens: Tokens) -> str:
    """Return the source with its structure tags kept and every other tag as a token."""
    out: list[str] = []
    tag: list[tuple[str, str]] = []
    for _line, kind, value in environment.lex(source):
        if kind in ("block_begin", "variable_begin"):
            tag = [(kind, value)]
        elif kind in ("block_end", "variable_end"):
            out.append(protect_tag(tag[0][0], [t for t in tag[1:] if t[0] != "whitespace"], tokens))
            tag = []
        elif tag:
            tag.append((kind, value))
        elif kind == "data":
            if tokens.nonce in value or any(marker in value for marker in MARKERS):
                raise NotCompilable("the source holds a token")
            out.append(value)
        elif kind in ("comment_begin", "comment", "comment_end"):
            continue
        else:  # raw blocks, line statements
            raise NotCompilable(f"{kind} is not compiled once")
    return "".join(out)


def protect_tag(begin: str, parts: list[tuple[str, str]], tokens: Tokens) -> str:
    names = {value for kind, value in parts if kind == "name"}
    if names & UNSAFE_NAMES:
        if begin == "variable_begin" and [v for _k, v in parts] == ["super", "(", ")"]:
            return "{{ super() }}"
        raise NotCompilable(f"{sorted(names & UNSAFE_NAMES)} is not compiled once")
    inner = " ".join(value for _kind, value in parts)
    if begin == "variable_begin":
        return tokens.add("{{ " + inner + " }}", control=False)
    keyword = parts[0][1] if parts else ""
    if keyword in STRUCTURE_TAGS:
        if keyword in ("extends", "include") and not (len(parts) == 2 and parts[1][0] == "string"):
            raise NotCompilable(f"{keyword} of something else than a block name")
        if keyword == "block" and len(parts) != 2:
            raise NotCompilable("scoped or required blocks are not compiled once")
        return "{% " + inner + " %}"
    if keyword not in CONTROL_TAGS:
        raise NotCompilable(f"the {keyword} tag is not compiled once")
    return tokens.add("{% " + inner + " %}", control=True)


def flatten(body: str, blocks: dict[str, str], environment_for: Any) -> tuple[str, Tokens]:
    """Return the body with its blocks and layout in place, and the tokens it holds.

    Each token in the result is numbered anew, so that one used twice (a block included
    twice) can be told apart in the compiled HTML.
    """
    tokens = Tokens.new()
    protect_environment = environment_for({}, autoescape=False)
    protected_blocks = {
        name: protect(protect_environment, source, tokens) for name, source in blocks.items()
    }
    protected_body = protect(protect_environment, body, tokens)
    flat = environment_for(protected_blocks, autoescape=False).from_string(protected_body).render()
    numbered = Tokens(tokens.nonce, {})
    flat = tokens.pattern.sub(
        lambda m: numbered.add(tokens.tags[m.group()], tokens.is_control(m.group())), flat
    )
    return flat, numbered


# --- 2. Checks: every token where the compiler passes it through --------------------------


def check_token_places(flat: str, tokens: Tokens) -> None:
    """Raise NotCompilable unless each token sits where the compiler copies it as it is."""
    is_mjml = flat.lstrip().lower().startswith("<mjml")
    token_pattern = tokens.pattern
    # Each frame: the HTML elements opened since the control tag that opened it.
    frames: list[list[str]] = [[]]
    content_depth = 0  # inside an MJML component whose content is HTML
    style_depth = 0
    position = 0
    for match in TAG.finditer(flat):
        check_text(
            flat[position : match.start()], tokens, frames, is_mjml, content_depth, style_depth
        )
        position = match.end()
        closing, name, attributes = (
            match.group(1),
            (match.group(2) or "").lower(),
            match.group(3) or "",
        )
        if not name:  # a comment
            if token_pattern.search(match.group()):
                raise NotCompilable("a Jinja tag in an HTML comment")
            continue
        check_attributes(attributes, tokens)
        self_closing = attributes.rstrip().endswith("/") or name in VOID
        if name in MJML_CONTENT and not self_closing:
            content_depth += -1 if closing else 1
        if name in STYLE_ELEMENTS and not self_closing:
            style_depth += -1 if closing else 1
        if self_closing:
            continue
        if closing:
            close_element(frames[-1], name)
        else:
            frames[-1].append(name)
    check_text(flat[position:], tokens, frames, is_mjml, content_depth, style_depth)
    if len(frames) != 1:
        raise NotCompilable("unbalanced control tags")


def check_text(
    text: str, tokens: Tokens, frames: list[list[str]], is_mjml: bool, content: int, style: int
) -> None:
    for token in tokens.pattern.findall(text):
        if style > 0:
            raise NotCompilable("a Jinja tag in a style sheet")
        if is_mjml and content <= 0:
            raise NotCompilable("a Jinja tag between MJML components")
        if not tokens.is_control(token):
            continue
        keyword = tokens.tags[token].split()[1]
        if keyword in MIDDLE_TAGS | CLOSING_TAGS:
            if frames[-1] or len(frames) == 1:
                raise NotCompilable(f"HTML elements not closed before {keyword}")
            frames.pop()
        if keyword in OPENING_TAGS | MIDDLE_TAGS:
            frames.append([])


def close_element(open_elements: list[str], name: str) -> None:
    if name not in open_elements:
        raise NotCompilable(f"</{name}> closes an element opened outside its control block")
    # HTML closes the elements left open inside (a <p> or <li> without its end tag).
    del open_elements[len(open_elements) - 1 - open_elements[::-1].index(name) :]


def check_attributes(attributes: str, tokens: Tokens) -> None:
    if not tokens.pattern.search(attributes):
        return
    for name, value in ATTRIBUTE.findall(attributes):
        holds_token = tokens.pattern.findall(f"{name}={value}")
        if not holds_token:
            continue
        if name.lower() not in VALUE_ATTRIBUTES or tokens.pattern.search(name):
            raise NotCompilable(f"a Jinja value in the {name} attribute")
        if any(tokens.is_control(token) for token in holds_token):
            raise NotCompilable("a Jinja control tag inside an HTML tag")


def check_tokens_kept(flat: str, compiled: str, tokens: Tokens) -> None:
    """Raise NotCompilable unless the compiler kept every control tag once and in order, and
    every value at least once and between the same control tags."""

    def positions(text: str) -> tuple[list[str], dict[str, set[int]]]:
        controls: list[str] = []
        values: dict[str, set[int]] = {}
        for token in tokens.pattern.findall(text):
            if tokens.is_control(token):
                controls.append(token)
            else:
                values.setdefault(token, set()).add(len(controls))
        return controls, values

    before, after = positions(flat), positions(compiled)
    if before[0] != after[0]:
        raise NotCompilable("the compiler moved or dropped a control tag")
    for token, places in before[1].items():
        if after[1].get(token, set()) != places:
            raise NotCompilable("the compiler moved or dropped a value")
    if any(marker in compiled for marker in MARKERS):
        raise NotCompilable("the HTML holds a text marker")


# --- 3. Back to Jinja: the HTML template and the text template ----------------------------


def as_jinja(text: str, tokens: Tokens) -> str:
    """Turn tokens back into their Jinja tags; what was literal stays literal."""
    parts = tokens.pattern.split(text)
    found = tokens.pattern.findall(text)
    out = [escape_literal(parts[0])]
    for token, literal in zip(found, parts[1:], strict=True):
        out.append(tokens.tags[token])
        out.append(escape_literal(literal))
    return "".join(out)


def escape_literal(text: str) -> str:
    # The compiled HTML may hold "{%" or "{{" (a style sheet): Jinja must print them.
    return JINJA_OPENERS.sub("{{ '{' }}", text)


class TemplateTextWriter(TextWriter):
    """The text writer run once over the compiled HTML with its tokens.

    Control tags are kept even where the text is hidden, values only where it is shown; what
    depends on values is left as markers for finish_text.
    """

    def __init__(self, tokens: Tokens) -> None:
        super().__init__()
        self.tokens = tokens

    def start_signature(self) -> None:
        self.out.append(SIGNATURE)

    def close_link(self) -> None:
        href, start = self.links.pop()
        if self.hidden:
            return
        self.out.insert(start, LINK_START)
        self.out.append(f"{LINK_TARGET}{href}{LINK_END}")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            self.out.extend(
                t for t in self.tokens.pattern.findall(data) if self.tokens.is_control(t)
            )
        else:
            super().handle_data(data)


def text_template_source(compiled_html: str, tokens: Tokens) -> str:
    writer = TemplateTextWriter(tokens)
    writer.feed(compiled_html)
    writer.close()
    return as_jinja(pre_tidy("".join(writer.out)), tokens)


def pre_tidy(text: str) -> str:
    """Do once what tidy() would do to the literal text after every rendering: the compiled
    HTML's indentation makes most of the text template white space, slow to render.

    tidy() strips spaces at both ends of a line, collapses spaces and blank lines: doing it
    before as well changes nothing, except on a line that is the signature separator.
    """
    if f"\n{plain_text.SIGNATURE_SEPARATOR}" in text or text.startswith("--"):
        return text
    text = DOUBLE_SPACES.sub(" ", text)
    text = SPACES_AROUND_LINE_BREAK.sub("\n", text)
    return BLANK_LINES.sub("\n\n", text)


def text_value(value: Any) -> str:
    """A value in the text part, as the text writer would have read it from the HTML."""
    return SPACES.sub(" ", str(value)).translate(DROP_MARKERS)


def finish_text(rendered: str) -> str:
    """Settle the markers of a rendered text template, then lay the text out."""
    while True:
        rendered, count = INNERMOST_LINK.subn(settle_link, rendered)
        if not count:
            break
    head, mark, tail = rendered.partition(SIGNATURE)
    if mark:
        separator = f"\n\n{plain_text.SIGNATURE_SEPARATOR}\n" if head.strip() else ""
        rendered = head + separator + tail.replace(SIGNATURE, "")
    return tidy(rendered)


def settle_link(match: re.Match[str]) -> str:
    label, href = match.group(1), match.group(2).strip()
    if not href or href.startswith("#"):
        return label
    return label + link_suffix(label, href)


def compile_once(
    body: str, blocks: dict[str, str], environment_for: Any, compile_html: Any
) -> CompiledMessage:
    """Compile a template body once; raise NotCompilable (or TemplateError) when it cannot be.

    `environment_for(blocks, autoescape=...)` makes the sandbox and `compile_html` compiles
    MJML and inlines CSS: the same functions as the full path, passed in by rendering.
    """
    flat, tokens = flatten(body, blocks, environment_for)
    check_token_places(flat, tokens)
    compiled = compile_html(flat)
    check_tokens_kept(flat, compiled, tokens)
    html_environment = environment_for({}, autoescape=True)
    html_environment.keep_trailing_newline = True
    text_environment = environment_for({}, autoescape=False)
    text_environment.keep_trailing_newline = True
    text_environment.finalize = text_value
    return CompiledMessage(
        html=html_environment.from_string(as_jinja(compiled, tokens)),
        text=text_environment.from_string(text_template_source(compiled, tokens)),
    )
