"""Score Comptoir's parsing and reply extraction on the public corpus in ../shared/corpus.

Run: .venv/bin/python bench/corpus.py   (needs the `bench` extra for the peer, email-reply-parser).
The corpus is only read from here; nothing from it is copied into the repository.
"""

import json
import re
import sys
import time
from collections import defaultdict
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from comptoir.mail.parsing import html_to_text, parse_email  # noqa: E402
from comptoir.mail.reply_extraction import extract_reply  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _source(file: str) -> str:
    parts = file.split("/")
    return "/".join(parts[:2]) if parts[0] in {"talon", "stalwart", "enmime"} else parts[0]


def _input_text(path: Path, fmt: str) -> str:
    raw = path.read_bytes()
    if fmt == "eml":
        message = message_from_bytes(raw, policy=compat32)
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                data = part.get_payload(decode=True) or b""
                return data.decode(part.get_content_charset() or "utf-8", "replace")
        return ""
    text = raw.decode("utf-8", "replace")
    return text


def _same(got: str, expected: str, mode: str) -> bool:
    got, expected = got.replace("\r\n", "\n"), expected.replace("\r\n", "\n")
    if mode == "strip":
        return got.strip() == expected.strip()
    return re.sub(r"\s+", "", got) == re.sub(r"\s+", "", expected)


def _ours(text: str, fmt: str) -> str:
    if fmt == "html":
        return extract_reply(html_to_text(text, cut_quotes=True))
    return extract_reply(text)


def _peer(text: str, fmt: str) -> str:
    from email_reply_parser import EmailReplyParser

    if fmt == "html":
        text = html_to_text(text)
    return EmailReplyParser.parse_reply(text)


def _judge(entry: dict, got: str) -> bool | None:
    mode = entry.get("compare") or "strip"
    if entry.get("format") == "html" and entry.get("expected_html") and not entry.get("expected_reply"):
        expected = html_to_text(entry["expected_html"])
        return _same(got, expected, "nows")
    if entry.get("expected_reply") is not None:
        candidates = [entry["expected_reply"], *(entry.get("also_accepted") or [])]
        if mode == "html_nows":
            return any(_same(got, c, "nows") for c in candidates)
        return any(_same(got, c, mode) for c in candidates)
    checks = []
    starts = entry.get("expected_startswith")
    for start in [starts] if isinstance(starts, str) else starts or []:
        checks.append(got.strip().startswith(start.strip()))
    for s in entry.get("expected_contains") or []:
        checks.append(s in got)
    for s in entry.get("expected_not_contains") or []:
        checks.append(s not in got)
    return all(checks) if checks else None


def score_replies() -> None:
    results: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in (CORPUS / "replies" / "manifest.jsonl").open():
        entry = json.loads(line)
        if entry.get("task") != "reply":
            continue
        text = _input_text(CORPUS / "replies" / entry["file"], entry.get("format", "text"))
        ours = _judge(entry, _ours(text, entry.get("format", "text")))
        if ours is None:
            continue
        try:
            peer = _judge(entry, _peer(text, entry.get("format", "text")))
        except Exception:
            peer = False
        row = results[f"{_source(entry['file'])} ({entry.get('signature_policy')})"]
        row[0] += 1
        row[1] += bool(ours)
        row[2] += bool(peer)
    print(f"{'replies source (signature policy)':45} {'n':>4} {'comptoir':>9} {'email-reply-parser':>19}")
    total = [0, 0, 0]
    for name, (n, ours, peer) in sorted(results.items()):
        total = [total[0] + n, total[1] + ours, total[2] + peer]
        print(f"{name:45} {n:4} {ours / n:9.0%} {peer / n:19.0%}")
    print(f"{'all':45} {total[0]:4} {total[1] / total[0]:9.0%} {total[2] / total[0]:19.0%}")


def _pairs(value: object) -> list[str]:
    return [str(pair[1]).lower() for pair in value or [] if pair and pair[1]]  # type: ignore[union-attr]


def score_parsing() -> None:
    results: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    raws = []
    for line in (CORPUS / "parsing" / "manifest.jsonl").open():
        entry = json.loads(line)
        path = CORPUS / "parsing" / entry["file"]
        if not path.is_file() or "header_vectors" in entry["file"]:
            continue
        raw = path.read_bytes()
        if entry["file"].startswith("stalwart/"):
            raw = raw.replace(b"\r\n", b"\n")
        raws.append(raw)
        parsed = parse_email(raw)
        expected = entry.get("expected") or {}
        source = _source(entry["file"])
        checks = []
        if "subject" in expected and expected["subject"] is not None:
            checks.append(parsed.subject == " ".join(str(expected["subject"]).split()))
        if _pairs(expected.get("from")):
            checks.append(parsed.from_address.lower() == _pairs(expected["from"])[0])
        if expected.get("to"):
            checks.append([a.lower() for a in parsed.to] == _pairs(expected["to"]))
        if expected.get("date"):
            checks.append(bool(parsed.date) and parsed.date.isoformat() == expected["date"])
        if expected.get("message_id"):
            checks.append(parsed.message_id == expected["message_id"])
        if expected.get("text") is not None:
            checks.append(parsed.text.strip() == str(expected["text"]).replace("\r\n", "\n").strip())
        for s in expected.get("text_contains") or []:
            checks.append(s in parsed.text)
        for check in checks:
            results[source][0] += 1
            results[source][1] += check
    print(f"\n{'parsing source':25} {'checks':>7} {'correct':>8}")
    for name, (n, ok) in sorted(results.items()):
        print(f"{name:25} {n:7} {ok / n:8.0%}")
    start = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for raw in raws:
            parse_email(raw)
    elapsed = time.perf_counter() - start
    print(f"\nparse throughput: {rounds * len(raws) / elapsed:.0f} messages/s over {len(raws)} messages")


if __name__ == "__main__":
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}; nothing to score")
        sys.exit(0)
    score_replies()
    score_parsing()
