"""The quality gate: what a message must get right before it leaves, as findings.

Errors block sending (a dead end, a no-reply sender, a marketing email one cannot leave);
warnings are advice the author sees (a long subject, a spelling mistake, a missing sign-off).
One function, `check_message`, serves `comptoir lint-message`, the template editor and the
agent's reply box, so every path applies the same rules.

A draft is either a rendered message or a template's source. In a template, a placeholder
(`{{ first_name }}`) counts as personalisation; in a rendered message, a name must be there.
"""

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser

from django.utils.translation import gettext as _

from comptoir.messaging.models import ToneCharter
from comptoir.messaging.sms_segments import measure_sms

ERROR, WARNING = "error", "warning"

# What the message is, which decides the rules that apply.
REPLY = "reply"  # an agent's answer in a conversation
TRANSACTIONAL = "transactional"  # order confirmation, payment failed… (service purpose)
RELATIONSHIP = "relationship"  # a relationship email: welcome, satisfaction, offer explained
MARKETING = "marketing"
KINDS = (REPLY, TRANSACTIONAL, RELATIONSHIP, MARKETING)
CHANNELS = ("email", "sms", "chat")

GMAIL_CLIPS_AT = 102 * 1024  # Gmail hides the rest of a message's HTML behind a link


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class Draft:
    """A message to check: a rendered email, a template's source, an SMS or a chat answer."""

    channel: str = "email"
    kind: str = REPLY
    subject: str = ""
    text: str = ""
    html: str = ""
    from_address: str = ""
    reply_to: str = ""
    # The email's headers when it is a rendered message (List-Unsubscribe…); None for a
    # template, whose headers the sending path adds.
    headers: dict[str, str] | None = None
    is_template: bool = False


@dataclass(frozen=True)
class Charter:
    """The tone charter's values, read once per check."""

    greetings: tuple[str, ...]
    sign_offs: tuple[str, ...]
    words_to_avoid: tuple[str, ...]
    company_words: frozenset[str]
    subject_max_characters: int
    sms_max_segments: int
    chat_max_characters: int

    @classmethod
    def current(cls) -> "Charter":
        """The company's saved charter, or the defaults when none was saved."""
        return cls.of(ToneCharter.objects.order_by("pk").first() or ToneCharter())

    @classmethod
    def of(cls, charter: ToneCharter) -> "Charter":
        return cls(
            greetings=tuple(charter.greetings),
            sign_offs=tuple(charter.sign_offs),
            words_to_avoid=tuple(charter.words_to_avoid),
            company_words=frozenset(
                w.strip().lower() for w in charter.company_words.splitlines() if w.strip()
            ),
            subject_max_characters=charter.subject_max_characters,
            sms_max_segments=charter.sms_max_segments,
            chat_max_characters=charter.chat_max_characters,
        )


def check_message(
    draft: Draft, *, charter: Charter | None = None, check_links: bool = False
) -> list[Finding]:
    """Return every finding about the draft, errors first."""
    charter = charter or Charter.current()
    html = parse_html(draft.html)
    body = draft.text or html.text
    rules: list[Callable[[], list[Finding]]] = [
        lambda: check_sender(draft),
        lambda: check_spelling(draft, body, charter),
        lambda: check_words_to_avoid(body, charter),
    ]
    if draft.channel == "email":
        rules += [
            lambda: check_call_to_action(draft, body, html),
            lambda: check_unsubscribe(draft, body, html),
            lambda: check_greeting(draft, body, charter),
            lambda: check_sign_off(body, charter),
            lambda: check_reassurance(draft, html),
            lambda: check_subject(draft, charter),
            lambda: check_images(html),
            lambda: check_html_size(draft),
        ]
        if check_links:
            rules.append(lambda: check_links_resolve(html.links or find_urls(body)))
    elif draft.channel == "sms":
        rules.append(lambda: check_sms_length(body, charter))
        rules.append(lambda: check_sms_stop(draft, body))
    elif draft.channel == "chat":
        rules.append(lambda: check_chat_length(body, charter))
    findings = [finding for rule in rules for finding in rule()]
    return sorted(findings, key=lambda f: f.severity != ERROR)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


# --- Reading the HTML --------------------------------------------------------------------


@dataclass
class HtmlFacts:
    links: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    blocks: set[str] = field(default_factory=set)
    text: str = ""


class FactsParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = HtmlFacts()
        self.texts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("style", "script", "head"):
            self.skipping += 1
        if tag == "a" and values.get("href"):
            self.facts.links.append(str(values["href"]).strip())
        if tag == "img" and "alt" not in values:
            self.facts.images_without_alt.append(str(values.get("src") or "?"))
        if values.get("data-block"):
            self.facts.blocks.add(str(values["data-block"]))
        if tag in ("p", "br", "div", "tr", "h1", "h2", "h3", "li"):
            self.texts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.texts.append(data)


def parse_html(html: str) -> HtmlFacts:
    if not html:
        return HtmlFacts()
    parser = FactsParser()
    parser.feed(html)
    parser.close()
    parser.facts.text = re.sub(r"[ \t]+", " ", "".join(parser.texts))
    return parser.facts


URL = re.compile(r"https?://[^\s<>\"')]+")
PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def find_urls(text: str) -> list[str]:
    return URL.findall(text)


def has_placeholder(text: str) -> bool:
    return bool(PLACEHOLDER.search(text))


# --- The rules ---------------------------------------------------------------------------

NO_REPLY = re.compile(
    r"^(no-?reply|do-?not-?reply|donotreply|ne-?pas-?r[eé]pondre|nepasrepondre)", re.I
)


def check_sender(draft: Draft) -> list[Finding]:
    """A customer must be able to answer: never a no-reply sender or reply address."""
    findings = []
    for label, address in ((_("sender"), draft.from_address), (_("reply address"), draft.reply_to)):
        local = address.rpartition("<")[2].strip(">").partition("@")[0]
        if local and NO_REPLY.match(local):
            findings.append(
                Finding(
                    "no-reply-sender",
                    ERROR,
                    _("The %(what)s %(address)s cannot be answered: use the team's address.")
                    % {"what": label, "address": address},
                )
            )
    return findings


def check_call_to_action(draft: Draft, body: str, html: HtmlFacts) -> list[Finding]:
    """A relationship message leads somewhere: a link to act on (no dead end)."""
    if draft.kind == REPLY:
        return []
    actionable = [link for link in html.links if not link.startswith(("mailto:", "#"))]
    actionable += find_urls(body) if not draft.html else []
    if draft.is_template:
        actionable += re.findall(r"\{\{\s*\w*(url|link|lien)\w*\s*\}\}", draft.html + body)
    if actionable:
        return []
    return [Finding("no-call-to-action", ERROR, _("No link to act on: the message is a dead end."))]


UNSUBSCRIBE_LINK = re.compile(r"unsubscribe|d[ée]sabonn|d[ée]sinscri|preferences|/u/", re.I)


def check_unsubscribe(draft: Draft, body: str, html: HtmlFacts) -> list[Finding]:
    """Relationship and marketing email: an unsubscribe link, and the List-Unsubscribe header."""
    if draft.kind not in (RELATIONSHIP, MARKETING):
        return []
    findings = []
    candidates = [*html.links, *find_urls(body)]
    if draft.is_template:
        candidates += PLACEHOLDER.findall(draft.html + body)
    if not any(UNSUBSCRIBE_LINK.search(link) for link in candidates):
        findings.append(
            Finding("missing-unsubscribe", ERROR, _("No unsubscribe link in the message."))
        )
    if draft.headers is not None:
        headers = {name.lower(): value for name, value in draft.headers.items()}
        if "list-unsubscribe" not in headers or "list-unsubscribe-post" not in headers:
            findings.append(
                Finding(
                    "missing-list-unsubscribe",
                    ERROR,
                    _("No List-Unsubscribe and List-Unsubscribe-Post headers (RFC 8058)."),
                )
            )
    return findings


def first_line(body: str) -> str:
    return next((line.strip() for line in body.splitlines() if line.strip()), "")


def check_greeting(draft: Draft, body: str, charter: Charter) -> list[Finding]:
    """An email opens with a greeting that names the customer ("Bonjour Jeanne,")."""
    opening = first_line(body)
    greeting = next((g for g in charter.greetings if opening.lower().startswith(g.lower())), None)
    if greeting is None:
        return [
            Finding(
                "missing-greeting",
                WARNING,
                _("The message does not open with a greeting (%(greetings)s).")
                % {"greetings": ", ".join(charter.greetings[:3])},
            )
        ]
    rest = opening[len(greeting) :].strip(" ,!.:")
    personal = (
        has_placeholder(rest) if draft.is_template else bool(re.search(r"[A-ZÀ-Ý][\w'-]+", rest))
    )
    if personal:
        return []
    return [
        Finding(
            "impersonal-greeting",
            WARNING,
            _("“%(opening)s” does not name the customer: add the first name.")
            % {"opening": opening[:60]},
        )
    ]


SIGNATURE_SEPARATOR = "-- "


def check_sign_off(body: str, charter: Charter) -> list[Finding]:
    lines = body.strip().splitlines()
    # What follows the signature separator of RFC 3676 (the fixed reassurance and footer
    # blocks of a rendered template) is not the author's ending.
    if SIGNATURE_SEPARATOR in lines:
        lines = lines[: lines.index(SIGNATURE_SEPARATOR)]
    tail = " ".join(lines[-6:]).lower()
    if any(sign_off.lower() in tail for sign_off in charter.sign_offs):
        return []
    return [
        Finding(
            "missing-sign-off",
            WARNING,
            _("No sign-off at the end (%(sign_offs)s).")
            % {"sign_offs": ", ".join(charter.sign_offs[:3])},
        )
    ]


REASSURANCE_INCLUDE = re.compile(r"""\{%\s*include\s+["']?[\w/.-]*reassurance""", re.I)


def check_reassurance(draft: Draft, html: HtmlFacts) -> list[Finding]:
    """A relationship email carries the reassurance blocks (strengths, service number…)."""
    if draft.kind != RELATIONSHIP:
        return []
    if "reassurance" in html.blocks or REASSURANCE_INCLUDE.search(draft.html + draft.text):
        return []
    return [
        Finding(
            "missing-reassurance",
            WARNING,
            _("No reassurance block (the company's strengths, the service phone number)."),
        )
    ]


def check_subject(draft: Draft, charter: Charter) -> list[Finding]:
    if draft.kind == REPLY or not draft.subject:
        return []
    findings = []
    shown = PLACEHOLDER.sub("Xxxxxx", draft.subject) if draft.is_template else draft.subject
    if len(shown) > charter.subject_max_characters:
        findings.append(
            Finding(
                "subject-too-long",
                WARNING,
                _("The subject has %(length)d characters: a phone shows about %(limit)d.")
                % {"length": len(shown), "limit": charter.subject_max_characters},
            )
        )
    if draft.is_template and draft.kind in (RELATIONSHIP, MARKETING):
        if not has_placeholder(draft.subject):
            findings.append(
                Finding(
                    "subject-not-personalised",
                    WARNING,
                    _("The subject is the same for everyone: personalise it."),
                )
            )
    return findings


def check_images(html: HtmlFacts) -> list[Finding]:
    return [
        Finding(
            "image-without-alt",
            WARNING,
            _("Image without alternative text: %(src)s") % {"src": src[:80]},
        )
        for src in html.images_without_alt
    ]


def check_html_size(draft: Draft) -> list[Finding]:
    size = len(draft.html.encode())
    if size <= GMAIL_CLIPS_AT:
        return []
    return [
        Finding(
            "html-too-large",
            WARNING,
            _("The HTML weighs %(size)d KB: Gmail cuts messages over 102 KB.")
            % {"size": size // 1024},
        )
    ]


def check_links_resolve(links: list[str]) -> list[Finding]:
    """Every web link answers (2xx or 3xx); placeholders are left for the rendered message."""
    findings = []
    for link in dict.fromkeys(links):
        if not link.startswith(("http://", "https://")) or has_placeholder(link):
            continue
        problem = link_problem(link)
        if problem:
            findings.append(
                Finding(
                    "dead-link",
                    ERROR,
                    _("The link %(link)s does not work (%(problem)s).")
                    % {"link": link[:120], "problem": problem},
                )
            )
    return findings


def link_problem(url: str, timeout: float = 5.0) -> str:
    request = urllib.request.Request(url, method="HEAD", headers={"User-Agent": "Comptoir"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):  # noqa: S310 (http/https only)
            return ""
    except urllib.error.HTTPError as error:
        if error.code == 405:  # some servers refuse HEAD: ask with GET
            try:
                with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310
                    return ""
            except (urllib.error.URLError, OSError) as retry_error:
                return str(getattr(retry_error, "code", "") or retry_error)
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return str(getattr(error, "reason", error))


def check_words_to_avoid(body: str, charter: Charter) -> list[Finding]:
    lowered = body.lower()
    return [
        Finding(
            "word-to-avoid",
            WARNING,
            _("“%(word)s”: the tone charter asks to avoid it.") % {"word": word},
        )
        for word in charter.words_to_avoid
        if re.search(rf"\b{re.escape(word.lower())}\b", lowered)
    ]


def check_sms_length(body: str, charter: Charter) -> list[Finding]:
    length = measure_sms(body)
    if length.segments <= charter.sms_max_segments:
        return []
    return [
        Finding(
            "sms-too-long",
            WARNING,
            _(
                "This SMS takes %(segments)d segments (%(encoding)s, %(units)d characters); the charter allows %(limit)d."
            )
            % {
                "segments": length.segments,
                "encoding": length.encoding,
                "units": length.units,
                "limit": charter.sms_max_segments,
            },
        )
    ]


# "STOP au 36180", "Stop SMS au 36111": how the customer stops them, in the SMS itself.
SMS_STOP_MENTION = re.compile(r"\bstop\b", re.IGNORECASE)


def check_sms_stop(draft: Draft, body: str) -> list[Finding]:
    """A marketing SMS says how to stop them ("STOP au 36180"): French law asks it of every
    commercial SMS, and a STOP reply is honoured (sms.inbound). Advised for relationship."""
    if draft.kind not in (RELATIONSHIP, MARKETING) or SMS_STOP_MENTION.search(body):
        return []
    return [
        Finding(
            "missing-sms-stop",
            ERROR if draft.kind == MARKETING else WARNING,
            _("The SMS does not say how to stop them (e.g. “STOP au 36180”)."),
        )
    ]


def check_chat_length(body: str, charter: Charter) -> list[Finding]:
    if len(body) <= charter.chat_max_characters:
        return []
    return [
        Finding(
            "chat-too-long",
            WARNING,
            _("A chat answer of %(length)d characters: keep it under %(limit)d.")
            % {"length": len(body), "limit": charter.chat_max_characters},
        )
    ]


# --- Spelling ----------------------------------------------------------------------------

WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒ]+(?:[-'’][A-Za-zÀ-ÖØ-öø-ÿœŒ]+)*")
ELISION = re.compile(r"^(?:[lLdDjJmMnNsStTcC]|[qQ]u|[jJ]usqu|[lL]orsqu|[pP]uisqu)['’]")


@lru_cache(maxsize=1)
def french_dictionary():  # noqa: ANN201 (spellchecker has no types)
    from spellchecker import SpellChecker  # loaded on first use, not at start-up

    return SpellChecker(language="fr")


def check_spelling(draft: Draft, body: str, charter: Charter) -> list[Finding]:
    """French words the dictionary does not know, except names and the company's own words."""
    if draft.channel == "email" and draft.kind == REPLY and not body.strip():
        return []
    text = URL.sub(" ", PLACEHOLDER.sub(" ", f"{draft.subject}\n{body}"))
    text = re.sub(r"\S+@\S+", " ", text)
    candidates = []
    for match in WORD.finditer(text):
        word = ELISION.sub("", match.group())
        # A capitalised word is a name more often than a mistake (Jeanne, Lyon, Colissimo).
        if len(word) < 3 or word[0].isupper() or word.lower() in charter.company_words:
            continue
        candidates.append(word.lower())
    unknown = [
        w
        for w in dict.fromkeys(candidates)
        if not all(
            part in french_dictionary() or part in charter.company_words
            for part in re.split(r"[-'’]", w)
            if part
        )
    ]
    unknown = [w for w in unknown if w not in french_dictionary().known([w])]
    if not unknown:
        return []
    return [
        Finding(
            "spelling",
            WARNING,
            _("Check the spelling of: %(words)s") % {"words": ", ".join(unknown[:10])},
        )
    ]
