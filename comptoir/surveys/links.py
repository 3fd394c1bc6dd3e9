"""Signed links to the satisfaction survey, in the style of the preference-centre links.

A link names the survey, is signed with the secret key and a salt of its own, and carries
the time it was made: unlike an unsubscribe link it expires (COMPTOIR_SURVEY_LINK_DAYS),
because an answer months later says little about the answer we gave. The score in the
link (`?note=4`) is only a pre-selection: the page records nothing until the customer
presses its button.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from comptoir.surveys.models import SatisfactionSurvey

SALT = "comptoir.surveys.link"


def survey_token(survey: SatisfactionSurvey) -> str:
    """Return the signed, dated token naming this survey in its links."""
    return signing.TimestampSigner(salt=SALT).sign(str(survey.pk))


@dataclass(frozen=True)
class TokenCheck:
    survey: SatisfactionSurvey | None
    expired: bool = False


def check_token(token: str) -> TokenCheck:
    """Return the survey a token names; no survey if it was altered, unknown or expired."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        survey_id = signer.unsign(token, max_age=settings.COMPTOIR_SURVEY_LINK_DAYS * 24 * 3600)
    except signing.SignatureExpired:
        return TokenCheck(survey=None, expired=True)
    except signing.BadSignature:
        return TokenCheck(survey=None)
    survey = (
        SatisfactionSurvey.objects.select_related("conversation", "customer")
        .filter(pk=int(survey_id), status=SatisfactionSurvey.Status.SENT)
        .first()
    )
    return TokenCheck(survey=survey)


def survey_url(survey: SatisfactionSurvey, rating: int | None = None) -> str:
    url = settings.PUBLIC_URL + reverse("surveys:answer", args=[survey_token(survey)])
    return f"{url}?note={rating}" if rating else url
