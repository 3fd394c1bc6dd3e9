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
        if block in SIGNATURE_BLOCKS and not self.signature_started and not self.hidden:
            self.signature_started = True
            if "".join(self.out).strip():
                self.out.append(f"\n\n{SIGNATURE_SEPARATOR}\n")
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

    def close_link(self) -> None:
        href, start = self.links.pop()
        if self.hidden or not href or href.startswith("#"):
            return
        label = SPACES.sub(" ", "".join(self.out[start:])).strip()
        target = href.removeprefix("mailto:")
        # A link without words is an image (the logo): the text part has nothing to show.
        if label and label != target:
            self.out.append(f" ({target})")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(SPACES.sub(" ", data))


def html_to_plain_text(html: str) -> str:
    """Return the text part for this HTML email: paragraphs, links with their URLs."""
    writer = TextWriter()
    writer.feed(html)
    writer.close()
    lines = []
    for line in "".join(writer.out).split("\n"):
        lines.append(line if line == SIGNATURE_SEPARATOR else re.sub(" {2,}", " ", line).strip(" "))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n ")
    return text.replace(f"\n{SIGNATURE_SEPARATOR}\n\n", f"\n{SIGNATURE_SEPARATOR}\n")
