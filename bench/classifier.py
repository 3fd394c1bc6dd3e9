"""Held-out accuracy and latency of the sorting classifier, beside two baselines.

    .venv/bin/python bench/classifier.py            # the starter set, seed 42, 80/20
    .venv/bin/python bench/classifier.py --folds 5  # also a 5-fold cross-validation

Baselines from the same split: the majority class of the training part, and keyword rules of
the kind a team writes by hand (the first category whose words appear, else "other").
Needs no database: it reads comptoir/sorting/starter/requests.csv.
"""

import argparse
import io
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from comptoir.mail.language import detect_language  # noqa: E402
from comptoir.sorting import classifier  # noqa: E402
from comptoir.sorting.classifier import TARGETS, Example  # noqa: E402

KEYWORDS = {
    "billing": ["factur", "preleve", "rembours", "avoir", "tva", "debit", "paiement", "charged"],
    "order_delivery": ["colis", "livr", "commande", "retour", "suivi", "parcel", "order"],
    "technical_problem": ["mot de passe", "bug", "appli", "erreur", "connect", "password"],
    "complaint": ["inadmissible", "decu", "mecontent", "scandal", "honte", "plainte", "avocat"],
    "information_request": ["est-ce que", "est-il", "savoir", "possible", "quels", "do you"],
}


def keyword_category(text: str) -> str:
    folded = classifier.fold(text)
    for category, words in KEYWORDS.items():
        if any(word in folded for word in words):
            return category
    return "other"


def share(right: int, total: int) -> str:
    return f"{right / total:6.1%}"


def measure(train: list[Example], held_out: list[Example]) -> None:
    rows: list[tuple[str, dict[str, float], float]] = []
    for kind in ("logistic", "svc"):
        started = time.perf_counter()
        fitted = classifier.fit(train, kind=kind)
        seconds = time.perf_counter() - started
        for method in ("model", "lexicon", "either"):
            fitted.urgency_method = method
            accuracy = classifier.accuracy(fitted, held_out)
            label = kind if method == "model" else f"{kind}, urgency by {method}"
            rows.append((label, accuracy, seconds))
    majority = {t: Counter(e.labels[t] for e in train).most_common(1)[0][0] for t in TARGETS}
    rows.append(
        (
            "baseline: majority class",
            {t: sum(e.labels[t] == majority[t] for e in held_out) / len(held_out) for t in TARGETS},
            0.0,
        )
    )
    keyword = sum(keyword_category(e.text) == e.labels["category"] for e in held_out)
    lexicon = sum(classifier.urgency_from_lexicon(e.text) == e.labels["urgency"] for e in held_out)
    rows.append(
        (
            "baseline: keyword rules / lexicon",
            {"category": keyword / len(held_out), "urgency": lexicon / len(held_out)},
            0.0,
        )
    )
    print(f"{'system':<34} " + " ".join(f"{t:>9}" for t in TARGETS) + "   fit (s)")
    for label, accuracy, seconds in rows:
        cells = " ".join(f"{accuracy[t]:9.1%}" if t in accuracy else f"{'-':>9}" for t in TARGETS)
        print(f"{label:<34} {cells}   {seconds:7.2f}")


def latency(train: list[Example], held_out: list[Example]) -> None:
    import joblib

    fitted = classifier.fit(train)
    buffer = io.BytesIO()
    joblib.dump(fitted, buffer, compress=3)
    started = time.perf_counter()
    joblib.load(io.BytesIO(buffer.getvalue()))
    load = time.perf_counter() - started
    detect_language("Bonjour, ceci amorce le modèle de langue.")
    timings = []
    for example in held_out:
        started = time.perf_counter()
        fitted.predict([example.text])
        detect_language(example.text)
        timings.append(time.perf_counter() - started)
    timings.sort()
    print(
        f"\nstored model {len(buffer.getvalue()) / 1024:.0f} KiB, loaded in {load * 1000:.0f} ms;"
        f" classify one message (model + language): median "
        f"{statistics.median(timings) * 1000:.1f} ms, p95 "
        f"{timings[int(len(timings) * 0.95)] * 1000:.1f} ms"
    )


def cross_validate(examples: list[Example], folds: int) -> None:
    from sklearn.model_selection import StratifiedKFold

    categories = [e.labels["category"] for e in examples]
    scores: dict[str, list[float]] = {t: [] for t in TARGETS}
    splitter = StratifiedKFold(folds, shuffle=True, random_state=classifier.SEED)
    for train_index, test_index in splitter.split(examples, categories):
        fitted = classifier.fit([examples[i] for i in train_index])
        for target, value in classifier.accuracy(fitted, [examples[i] for i in test_index]).items():
            scores[target].append(value)
    print(f"\n{folds}-fold cross-validation (logistic, urgency {classifier.URGENCY_METHOD}):")
    for target in TARGETS:
        print(
            f"  {target:<10} {statistics.mean(scores[target]):6.1%}"
            f" ± {statistics.stdev(scores[target]):.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=0, help="also cross-validate, k folds")
    options = parser.parse_args()
    started = time.perf_counter()
    import sklearn  # noqa: F401

    print(f"import scikit-learn: {time.perf_counter() - started:.2f} s")
    examples = classifier.load_starter_set()
    train, held_out = classifier.split(examples)
    print(
        f"starter set: {len(examples)} examples, {len(train)} to train, "
        f"{len(held_out)} held out (stratified by category, seed {classifier.SEED})\n"
    )
    measure(train, held_out)
    latency(train, held_out)
    if options.folds:
        cross_validate(examples, options.folds)


if __name__ == "__main__":
    main()
