"""The plain-text part of an email, written from its HTML.

Not comptoir.mail.parsing.html_to_text: that one reads inbound mail and drops link targets,
while a text part without its URLs would be a dead end. Here a link keeps its URL, the hidden
preview line and the header block (a logo and the store name, visual only) are left out, and
the fixed blocks after the author's words (reassurance, footer) come after a "-- " line, the
signature separator of RFC 3676 that mail clients and the quality gate recognise.
"""

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
LINE_BREAKS = {"br", "div", "tr", "table", "td"}
PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "hr"}
HIDDEN_TAGS = {"head", "style", "script", "title"}
LEFT_OUT_BLOCKS = {"header"}
SIGNATURE_BLOCKS = {"reassurance", "footer"}
SIGNATURE_SEPARATOR = "-- "
# Ordinary white space collapses; the no-break spaces of French typography stay.
SPACES = re.compile(r"[ \t\r\n\f\v]+")
DOUBLE_SPACES = re.compile(" {2,}")
BLANK_LINES = re.compile(r"\n{3,}")


class TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        # Open elements, each with whether it hides its content from the text part.
        self.open: list[tuple[str, bool]] = []
        self.links: list[tuple[str, int]] = []
        self.signature_started = False

    @property
    def hidden(self) -> bool:
        return any(hides for _tag, hides in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        block = values.get("data-block", "")
        style = values.get("style", "").replace(" ", "").lower()
        hides = tag in HIDDEN_TAGS or block in LEFT_OUT_BLOCKS or "display:none" in style
        if block in SIGNATURE_BLOCKS and not self.hidden:
            self.start_signature()
        if tag in PARAGRAPHS:
            self.out.append("\n\n")
        elif tag in LINE_BREAKS:
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        if tag == "a":
            self.links.append((values.get("href", "").strip(), len(self.out)))
        if tag not in VOID:
            self.open.append((tag, hides))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            self.close_link()
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break
        if tag in PARAGRAPHS:
            self.out.append("\n\n")
        elif tag in LINE_BREAKS - {"br"}:
            self.out.append("\n")

    def start_signature(self) -> None:
        if self.signature_started:
            return
        self.signature_started = True
        if "".join(self.out).strip():
            self.out.append(f"\n\n{SIGNATURE_SEPARATOR}\n")

    def close_link(self) -> None:
        href, start = self.links.pop()
        if self.hidden or not href or href.startswith("#"):
            return
        self.out.append(link_suffix("".join(self.out[start:]), href))

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(SPACES.sub(" ", data))


def link_suffix(label: str, href: str) -> str:
    """What follows a link's words in the text part: its URL, unless the words are the URL."""
    label = SPACES.sub(" ", label).strip()
    target = href.removeprefix("mailto:")
    # A link without words is an image (the logo): the text part has nothing to show.
    return f" ({target})" if label and label != target else ""


def html_to_plain_text(html: str) -> str:
    """Return the text part for this HTML email: paragraphs, links with their URLs."""
    writer = TextWriter()
    writer.feed(html)
    writer.close()
    return tidy("".join(writer.out))


def tidy(text: str) -> str:
    """Lay out the writer's output: one space between words, at most one blank line."""
    text = "\n".join(map(tidy_line, text.split("\n")))
    text = BLANK_LINES.sub("\n\n", text).strip("\n ")
    return text.replace(f"\n{SIGNATURE_SEPARATOR}\n\n", f"\n{SIGNATURE_SEPARATOR}\n")


def tidy_line(line: str) -> str:
    if line == SIGNATURE_SEPARATOR:
        return line
    # Most lines have no double space: the test is much cheaper than the substitution.
    if "  " in line:
        line = DOUBLE_SPACES.sub(" ", line)
    return line.strip(" ")
