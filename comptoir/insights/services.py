"""State changes of insights: a team lead's quality review."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.conversations.models import Conversation
from comptoir.insights import queries
from comptoir.insights.models import CRITERIA, SCORE_MAX, SCORE_MIN, QualityReview


class InsightsError(Exception):
    """A change that cannot be made; the message is shown to the agent."""


def record_quality_review(
    *,
    conversation: Conversation,
    reviewer: Agent,
    scores: dict[str, int],
    comment: str = "",
) -> QualityReview:
    """Store a review of an answered conversation: one score 1–4 per criterion, a comment.

    A conversation is reviewed once; a second review (two leads at once) is refused.
    """
    if conversation.first_response_at is None:
        raise InsightsError("This conversation has not been answered yet.")
    if set(scores) != set(CRITERIA) or not all(
        SCORE_MIN <= score <= SCORE_MAX for score in scores.values()
    ):
        raise InsightsError("Every criterion needs a score from 1 to 4.")
    try:
        with transaction.atomic():
            return QualityReview.objects.create(
                conversation=conversation,
                agent=queries.find_answering_agent(conversation),
                reviewer=reviewer,
                comment=comment.strip(),
                reviewed_at=timezone.now(),
                **scores,
            )
    except IntegrityError as error:
        raise InsightsError("This conversation has already been reviewed.") from error
