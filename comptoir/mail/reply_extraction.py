"""Keep only the new text of a reply: cut the quoted history, the signature and mobile footers.

Forwarded messages are kept whole: when a customer forwards a mail to support, the forwarded
content *is* the request, so cutting it would lose what the agent needs. Only text above a
reply quote header is kept.
"""

import re

# Quote headers, matched on a window of up to three joined lines (clients wrap them).
_QUOTE_HEADERS = [
    re.compile(r"^\s*Le\b.{0,200}?a\s+écrit\s*:?\s*$", re.S | re.I),
    re.compile(r"^\s*-*\s*On\b.{0,200}?wrote\s*:?\s*-*\s*$", re.S | re.I),
    re.compile(r"^\s*Am\b.{0,200}?schrieb.{0,80}:\s*$", re.S | re.I),
    re.compile(r"^\s*El\b.{0,200}?escribió\s*:\s*$", re.S | re.I),
    re.compile(
        r"^\s*\*?-{2,}\s*(Original Message|Message d'origine|Mensaje original|"
        r"Ursprüngliche Nachricht|Messaggio originale|Oorspronkelijk bericht)\s*-{2,}",
        re.I,
    ),
    re.compile(r"^_{20,}\s*$"),
]
# Every quote header above begins so: a cheap test that spares most lines the full patterns.
_QUOTE_HEADER_START = re.compile(r"^\s*(?:(?:le|on|am|el)\b|[-*_])", re.I)
# Outlook block: "From:/De :" followed within a few lines by "Sent:/Envoyé :" or "Date:".
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|De)\s*:\*?\s*\S", re.I)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(Sent|Envoyé|Date|To|À|A|Subject|Objet|Cc)\s*:\*?", re.I
)
_SIGNATURE_LINES = re.compile(
    r"^\s*(--\s*|__+\s*|-[A-Za-zÀ-ÿ][\w .'-]{0,40}|"
    r"(Envoyé|Sent|Envoyé depuis|Sent from)\s+(de|from|depuis)?\s*(mon|my)\s+.{0,40}|"
    r"Envoyé depuis mon mobile.*|Sent from (my |Outlook|Mail|TypeApp|Yahoo|Samsung|BlackBerry).{0,60}|Sent from Mail for Windows.*|"
    r"Get Outlook for (iOS|Android).*|Obtenir Outlook pour (iOS|Android).*|"
    r"Télécharger Outlook pour (iOS|Android).*)\s*$",
    re.I,
)


def _quote_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">"):
            # A quote block: also drop a header line right above it if it looks like one.
            return index
        if _QUOTE_HEADER_START.match(line):
            for width in (1, 2, 3):
                window = " ".join(part.strip() for part in lines[index : index + width])
                if any(pattern.match(window) for pattern in _QUOTE_HEADERS):
                    return index
        if _OUTLOOK_FROM.match(line):
            following = [next_line for next_line in lines[index + 1 : index + 6] if next_line.strip()]
            if sum(1 for next_line in following if _OUTLOOK_NEXT.match(next_line)) >= 2:
                return index
    return None


_FORWARD = re.compile(
    r"^\s*(-{3,}\s*(Forwarded message|Message transféré|Begin forwarded|Début du message réexpédié)"
    r"|(Begin forwarded message|Début du message réexpédié)\s*:)",
    re.I,
)


def _forward_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if _FORWARD.match(line):
            return index
    return None


def _is_quote_header(lines: list[str], index: int) -> int:
    """Return how many lines the quote header at `index` spans, or 0."""
    # Every header form has a colon, a dash run or an underscore run: a cheap first filter.
    near = "".join(lines[index : index + 3])
    if ":" not in near and "--" not in near and "__" not in near:
        return 0
    for width in (1, 2, 3):
        window = " ".join(part.strip() for part in lines[index : index + width])
        if any(pattern.match(window) for pattern in _QUOTE_HEADERS):
            return width
    # Any language: a line ending in ":" with a date or an address, right above a `>` block.
    for width in (1, 2):
        chunk = lines[index : index + width]
        window = " ".join(part.strip() for part in chunk)
        following = next((rest for rest in lines[index + width :] if rest.strip()), "")
        if (
            len(chunk) == width
            and all(part.strip() for part in chunk)
            and window.endswith(":")
            and re.search(r"@|\d{1,2}:\d{2}|\d{4}", window)
            and (
                following.lstrip().startswith(">")
                # Without `>` markers, only trust a header that opens a paragraph and names
                # both a date and an address, as mail clients write it.
                or (
                    (index == 0 or not lines[index - 1].strip())
                    and re.search(r"@", window)
                    and re.search(r"\d{1,2}[:.]\d{2}|\d{4}", window)
                )
            )
        ):
            return width
    return 0


_HEADER_FIELD = re.compile(r"^\s*\*?[A-Za-zÀ-ÿ][\w\- ]{0,20}\s?:\*?\s+\S")


def _is_header_block(lines: list[str], index: int) -> bool:
    """Outlook-style quoted headers in any language: 3+ "Field: value" lines, first with an address."""
    if not _HEADER_FIELD.match(lines[index]) or "@" not in lines[index]:
        return False
    block = lines[index : index + 4]
    return len(block) >= 3 and all(_HEADER_FIELD.match(line) for line in block[:3])


def _visible_lines(lines: list[str]) -> list[str]:
    """Drop quoted blocks and their headers; interleaved answers between quotes are kept.

    A header not followed by `>` lines (Outlook, "Original Message") quotes without markers,
    so everything from it on is history.
    """
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith(">"):
            index += 1
            continue
        width = _is_quote_header(lines, index)
        outlook = _OUTLOOK_FROM.match(line) and sum(
            1 for rest in lines[index + 1 : index + 6] if rest.strip() and _OUTLOOK_NEXT.match(rest)
        ) >= 2
        outlook = outlook or _is_header_block(lines, index)
        if width or outlook:
            following = next((rest for rest in lines[index + max(width, 1) :] if rest.strip()), "")
            if width and following.lstrip().startswith(">"):
                index += width
                continue
            break
        if line.lstrip().startswith(">"):
            index += 1
            continue
        kept.append(line)
        index += 1
    return kept


def extract_reply(text: str) -> str:
    """Return the new text written in a reply, without quotes and signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward = _forward_start(lines)
    quote = _quote_start(lines)
    if forward is not None and (quote is None or forward <= quote):
        # Keep the forwarded content whole; only trim a signature above the marker.
        head = _strip_signature(lines[:forward])
        return "\n".join([*head, *lines[forward:]]).strip()
    kept = _strip_signature(_visible_lines(lines))
    # Separator lines left above a cut quote ("-----", "_____") are not text.
    while kept and (not kept[-1].strip() or re.fullmatch(r"\s*[-_=*]{3,}\s*", kept[-1])):
        kept.pop()
    # Trailing spaces are format=flowed residue, not content.
    return "\n".join(line.rstrip() for line in kept).strip()


def _strip_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if index > 0 and _SIGNATURE_LINES.match(line):
            return lines[:index]
    return lines
