"""The customer's answers to satisfaction surveys, as a source of the customer timeline."""

from django.urls import reverse

from comptoir.customers.models import Customer
from comptoir.customers.queries import TimelineEntry
from comptoir.surveys import queries

# The timeline's kind of entry; shown in the "everything" view only, not as a filter.
SURVEY = "survey"


def survey_entries(customer: Customer, channel: str | None, limit: int) -> list[TimelineEntry]:
    if channel is not None:
        return []
    return [
        TimelineEntry(
            at=survey.answered_at,
            channel=SURVEY,
            kind="unhappy" if survey.is_unhappy else "rated",
            title=f"{survey.rating}/5 · {survey.get_rating_display()}",
            text=survey.comment,
            url=reverse("conversations:detail", args=[survey.conversation_id]),
            row=survey,
        )
        for survey in queries.list_answered_surveys(customer)[:limit]
        if survey.answered_at is not None
    ]
