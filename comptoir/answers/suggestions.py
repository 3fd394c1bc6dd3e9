"""Suggested answers: the canned responses closest to what the customer wrote.

TF-IDF over the responses' titles and bodies (accents folded, French stop words out, word
and character n-grams so that "remboursé" meets "remboursement"), cosine similarity to the
customer's text. A company has tens of responses, not thousands: fitting takes a few
milliseconds, but importing scikit-learn takes a second or two, so the fitted index is kept
per process and refitted only when a response changed (keyed by count and last update).
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from comptoir.answers.placeholders import ANY_PLACEHOLDER
from comptoir.sorting.classifier import FRENCH_STOP_WORDS

if TYPE_CHECKING:
    from scipy.sparse import spmatrix
    from sklearn.pipeline import FeatureUnion

# A response of the conversation's category gets this much added to its similarity: enough
# to break near ties, not to push an unrelated response above the one the words match.
CATEGORY_BONUS = 0.05
# Below this similarity a suggestion is noise: better none than a random one.
MIN_SCORE = 0.05


@dataclass(frozen=True)
class Document:
    pk: int
    title: str
    body: str
    category: str


@dataclass(frozen=True)
class Index:
    key: tuple[int, datetime | None]
    documents: list[Document]
    vectorizer: "FeatureUnion"
    matrix: "spmatrix"


_index: Index | None = None
_lock = threading.Lock()


def document_text(document: Document) -> str:
    # The title says what the response is for: it counts twice. Placeholders are not words.
    body = ANY_PLACEHOLDER.sub(" ", document.body)
    return f"{document.title}\n{document.title}\n{body}"


def build_vectorizer() -> "FeatureUnion":
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    common = {"strip_accents": "unicode", "lowercase": True, "sublinear_tf": True}
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(stop_words=sorted(FRENCH_STOP_WORDS), **common)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 5), **common)),
        ]
    )


def fit(key: tuple[int, datetime | None], documents: list[Document]) -> Index:
    """Fit the index of these documents; cheap, apart from the first scikit-learn import."""
    vectorizer = build_vectorizer()
    matrix = vectorizer.fit_transform([document_text(d) for d in documents])
    return Index(key=key, documents=documents, vectorizer=vectorizer, matrix=matrix)


def get_index(key: tuple[int, datetime | None], load: Callable[[], list[Document]]) -> Index | None:
    """Return the fitted index for this state of the responses, fitting it on a change."""
    global _index
    if _index is not None and _index.key == key:
        return _index
    with _lock:
        if _index is None or _index.key != key:
            documents = load()
            _index = fit(key, documents) if documents else None
        return _index


def rank(index: Index, text: str, *, category: str = "") -> list[tuple[Document, float]]:
    """Return every document with its similarity to `text`, best first, noise left out."""
    from sklearn.metrics.pairwise import cosine_similarity

    scores = cosine_similarity(index.vectorizer.transform([text]), index.matrix)[0]
    ranked = []
    for document, score in zip(index.documents, scores, strict=True):
        if score < MIN_SCORE:
            continue
        if category and document.category == category:
            score += CATEGORY_BONUS
        ranked.append((document, float(score)))
    ranked.sort(key=lambda pair: (-pair[1], pair[0].pk))
    return ranked
