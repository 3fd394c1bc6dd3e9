"""Language of a text with py3langid, restricted to languages our customers write in."""

from functools import cache

LANGUAGES = ["fr", "en", "de", "es", "it", "nl", "pt"]


@cache
def _identifier():  # type: ignore[no-untyped-def]
    # Loading the model takes ~0.3 s: do it on first use, not at import.
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return identifier


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of `text`, or '' when too short to tell."""
    if len(text.strip()) < 20:
        return ""
    code, _ = _identifier().classify(text)
    return str(code)
