"""Score Comptoir's bounce recognition on the public corpus (../shared/corpus/bounces: 591
sisimai fixtures from 71 servers and providers), against flufl.bounce used alone.

Run: .venv/bin/python bench/bounces.py [--misses]

Three figures per tool, over the corpus:
- recognised: the message gets the right class (a failure, a complaint, an auto-reply, or
  nothing for a delivery report);
- recipients: as many failed recipients as sisimai lists;
- hard/soft: every recipient's hard flag equals sisimai's (hard = the address or domain does
  not exist), counted over the failures.
flufl.bounce has no complaint or auto-reply class and calls a failure "permanent" or
"temporary"; we take permanent as hard.
"""

import json
import sys
import time
from collections import Counter
from email import message_from_bytes
from email.policy import compat32
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flufl.bounce import all_failures  # noqa: E402

from comptoir.messaging.bounces import BounceKind, classify_message  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "bounces"

EXPECTED_KIND = {
    "hard": "failure",
    "soft_or_other": "failure",
    "mixed": "failure",
    "feedback": "complaint",
    "vacation": "auto_reply",
    "delivered": "none",
}


def ours(raw: bytes) -> tuple[str, list[bool]]:
    report = classify_message(raw)
    kind = "failure" if report.is_bounce else str(report.kind)
    return kind, [f.kind == BounceKind.HARD for f in report.failures]


def flufl(raw: bytes) -> tuple[str, list[bool]]:
    try:
        permanent, temporary = all_failures(message_from_bytes(raw, policy=compat32))
    except Exception:
        return "none", []
    flags = [True] * len(permanent) + [False] * len(temporary)
    return ("failure" if flags else "none"), flags


def score(tool, rows: list[dict], show_misses: bool) -> dict[str, object]:  # noqa: ANN001
    recognised = recipients = hard_ok = hard_total = 0
    by_class: Counter = Counter()
    started = time.perf_counter()
    for row in rows:
        raw = (CORPUS / row["file"]).read_bytes()
        kind, flags = tool(raw)
        expected_kind = EXPECTED_KIND[row["expected_class"]]
        if kind == expected_kind:
            recognised += 1
            by_class[row["expected_class"]] += 1
        elif show_misses:
            print(f"  miss {row['file']}: {kind}, expected {expected_kind}")
        expected = [
            p["hardbounce"]
            for p in row.get("expected_per_recipient") or []
            if p["reason"] not in ("feedback", "vacation", "delivered")
        ]
        if expected_kind == "failure":
            recipients += len(flags) == len(expected) or (not flags and len(expected) == 1)
            hard_total += len(expected)
            if len(flags) == len(expected):
                hard_ok += sum(a == b for a, b in zip(flags, expected))
                if show_misses and flags != expected:
                    print(f"  hard/soft {row['file']}: {flags}, expected {expected}")
            elif len(expected) == 1 and flags:
                # One recipient expected: judge the first one found.
                hard_ok += flags[0] == expected[0]
    elapsed = time.perf_counter() - started
    failures = sum(EXPECTED_KIND[r["expected_class"]] == "failure" for r in rows)
    return {
        "recognised": recognised,
        "recipients": recipients,
        "failures": failures,
        "hard_ok": hard_ok,
        "hard_total": hard_total,
        "by_class": by_class,
        "ms_per_message": 1000 * elapsed / len(rows),
    }


def main() -> None:
    manifest = CORPUS / "manifest.jsonl"
    if not manifest.exists():
        print(f"no corpus at {CORPUS}: nothing to measure")
        return
    rows = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    classes = Counter(row["expected_class"] for row in rows)
    print(f"{len(rows)} messages: " + ", ".join(f"{k} {v}" for k, v in sorted(classes.items())))
    show_misses = "--misses" in sys.argv
    for name, tool in (("comptoir", ours), ("flufl.bounce alone", flufl)):
        result = score(tool, rows, show_misses and name == "comptoir")
        n = len(rows)
        print(
            f"{name:20} recognised {result['recognised']}/{n} "
            f"({100 * result['recognised'] / n:.1f}%) · "
            f"recipient count {result['recipients']}/{result['failures']} · "
            f"hard/soft right {result['hard_ok']}/{result['hard_total']} "
            f"({100 * result['hard_ok'] / max(1, result['hard_total']):.1f}%) · "
            f"{result['ms_per_message']:.2f} ms/message"
        )
        print(
            "    by class: "
            + ", ".join(f"{k} {result['by_class'][k]}/{classes[k]}" for k in sorted(classes))
        )


if __name__ == "__main__":
    main()
