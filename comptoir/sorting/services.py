"""Sorting of inbound conversations: predict, correct, retrain. Every state change is here."""

import io
import logging
import threading
import time
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.answers import services as answers
from comptoir.conversations.models import Conversation
from comptoir.mail.language import detect_language
from comptoir.routing import services as routing
from comptoir.sorting import classifier, queries
from comptoir.sorting.classifier import TARGETS, Classifier, Example, Prediction
from comptoir.sorting.models import (
    Category,
    Classification,
    ClassifierModel,
    Level,
    Sentiment,
    Urgency,
)

logger = logging.getLogger("comptoir.sorting")

CHOICES = {
    "category": Category.values,
    "level": Level.values,
    "sentiment": Sentiment.values,
    "urgency": Urgency.values,
}
PENDING_BATCH = 100

# The classifier of this process, keyed by version and training time (a version number can
# come back after a deletion): loading one takes ~60 ms and predicting ~10 ms, so it is
# loaded once and reloaded only when a newer version is in the database.
_loaded: tuple[tuple[int, datetime], Classifier] | None = None
_lock = threading.Lock()


class SortingError(Exception):
    """A sorting request that cannot be carried out (bad label, nothing to train on)."""


def get_classifier() -> tuple[int, Classifier]:
    """Return the latest classifier and its version, training one from the starter set on
    first use (1 to 2 seconds)."""
    global _loaded
    latest = queries.find_latest_version()
    if latest is not None and _loaded is not None and _loaded[0] == latest:
        return latest[0], _loaded[1]
    with _lock:
        if latest is None:
            model = retrain()
        else:
            model = ClassifierModel.objects.get(version=latest[0])
            _loaded = (latest, _load(bytes(model.pipeline)))
        assert _loaded is not None
        return model.version, _loaded[1]


def _load(pipeline: bytes) -> Classifier:
    import joblib  # comes with scikit-learn, and as slow to import

    fitted: Classifier = joblib.load(io.BytesIO(pipeline))
    return fitted


def classify_text(subject: str, body: str, *, language: str = "") -> Prediction:
    """Predict category, level, sentiment and urgency of a request, and detect its language."""
    return _predict([(subject, body, language)])[0]


def _predict(requests: list[tuple[str, str, str]]) -> list[Prediction]:
    version, fitted = get_classifier()
    predictions = fitted.predict([classifier.prepare(s, b) for s, b, _ in requests])
    for prediction, (subject, body, language) in zip(predictions, requests, strict=True):
        prediction.language = language or detect_language(body or subject)
        prediction.model_version = version
    return predictions


def _fields(prediction: Prediction) -> dict[str, object]:
    return {
        "category": prediction.category,
        "level": prediction.level,
        "language": prediction.language,
        "sentiment": prediction.sentiment,
        "urgency": prediction.urgency,
        "confidence": prediction.confidence,
        "model_version": prediction.model_version,
        "predicted_at": timezone.now(),
    }


def classify_conversation(conversation: Conversation) -> Classification | None:
    """Classify a conversation on its first message from the customer; keep a manager's
    correction. Return None when the customer has not written yet."""
    text = queries.list_conversation_texts([conversation.pk]).get(conversation.pk)
    if text is None:
        return None
    existing = queries.find_classification(conversation)
    if existing is not None and existing.is_corrected:
        return existing
    prediction = classify_text(text.subject, text.body, language=text.language)
    classification, _ = Classification.objects.update_or_create(
        conversation=conversation, defaults=_fields(prediction)
    )
    # Routed first: a team's automatic answers may depend on where the conversation went.
    routing.route_conversations(conversation_ids=[conversation.pk])
    answers.answer_new_conversations([conversation.pk])
    return classification


def classify_pending_conversations(limit: int = PENDING_BATCH) -> int:
    """Classify conversations that have none yet, a bounded batch per call; return how many.

    The sweep stands in for a direct hook in mail.inbound: two workers may take the same
    batch, and ignore_conflicts makes the second one's rows a no-op.
    """
    ids = queries.list_pending_conversation_ids(limit)
    if not ids:
        return 0
    texts = queries.list_conversation_texts(ids)
    requests = [(texts[i].subject, texts[i].body, texts[i].language) for i in ids]
    predictions = _predict(requests)
    Classification.objects.bulk_create(
        [
            Classification(conversation_id=i, **_fields(prediction))
            for i, prediction in zip(ids, predictions, strict=True)
        ],
        ignore_conflicts=True,
    )
    routing.route_conversations(conversation_ids=ids)
    answers.answer_new_conversations(ids)
    return len(ids)


def correct_classification(
    *, conversation: Conversation, agent: Agent, **labels: str
) -> Classification:
    """Record a manager's labels for a conversation; they win over every later prediction and
    are used by the next retrain(). Only an admin-role agent may correct."""
    if not agent.is_admin:
        raise PermissionDenied("Only a manager may correct a classification.")
    unknown = set(labels) - set(TARGETS) - {"language"}
    if unknown:
        raise SortingError(f"Unknown labels: {', '.join(sorted(unknown))}.")
    for target, value in labels.items():
        if target in CHOICES and value not in CHOICES[target]:
            raise SortingError(f"{value!r} is not a valid {target}.")
    with transaction.atomic():
        classification = (
            Classification.objects.select_for_update().filter(conversation=conversation).first()
        )
        if classification is None:
            classification = classify_conversation(conversation)
        if classification is None:
            raise SortingError("This conversation has no message from the customer.")
        for target, value in labels.items():
            setattr(classification, target, value)
        classification.corrected_by = agent
        classification.corrected_at = timezone.now()
        classification.save()
    routing.reroute_conversation(conversation=conversation, by=agent)
    return classification


def training_examples(*, include_starter: bool = True) -> tuple[list[Example], int]:
    """Return the examples to train on (the starter set, then the corrected conversations)
    and how many are corrections."""
    examples = classifier.load_starter_set() if include_starter else []
    corrected = list(queries.list_corrected_classifications())
    texts = queries.list_conversation_texts([c.conversation_id for c in corrected])
    corrections = [
        Example(
            text=classifier.prepare(
                texts[c.conversation_id].subject, texts[c.conversation_id].body
            ),
            labels={target: getattr(c, target) for target in TARGETS},
            weight=classifier.CORRECTION_WEIGHT,
        )
        for c in corrected
        if c.conversation_id in texts
    ]
    return examples + corrections, len(corrections)


def retrain(*, include_starter: bool = True) -> ClassifierModel:
    """Train a new classifier version on the starter set and the managers' corrections, record
    its held-out accuracy (stratified 80/20, fixed seed) and make it the one in use."""
    global _loaded
    examples, corrections = training_examples(include_starter=include_starter)
    for target in TARGETS:
        if len({example.labels[target] for example in examples}) < 2:
            raise SortingError(f"Not enough examples to train: {target} has a single class.")
    started = time.perf_counter()
    fitted, accuracy = classifier.train_and_measure(examples)
    elapsed = time.perf_counter() - started
    import joblib

    buffer = io.BytesIO()
    joblib.dump(fitted, buffer, compress=3)
    for _attempt in range(3):
        latest = ClassifierModel.objects.aggregate(latest=Max("version"))["latest"] or 0
        try:
            with transaction.atomic():
                model = ClassifierModel.objects.create(
                    version=latest + 1,
                    trained_at=timezone.now(),
                    training_size=len(examples),
                    corrections=corrections,
                    accuracy=accuracy,
                    training_seconds=round(elapsed, 2),
                    pipeline=buffer.getvalue(),
                )
        except IntegrityError:
            continue  # another process saved a version at the same moment: take the next
        break
    else:
        raise SortingError("Could not save the classifier: too many concurrent trainings.")
    _loaded = ((model.version, model.trained_at), fitted)
    logger.info("classifier v%s trained on %s examples: %s", model.version, len(examples), accuracy)
    return model
