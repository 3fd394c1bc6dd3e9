"""Helpers of the survey tests: a resolved conversation, the sweep, the links of the email."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from comptoir.conversations import services
from comptoir.conversations.models import Conversation
from comptoir.surveys import services as surveys
from comptoir.surveys.models import SatisfactionSurvey
from comptoir.teams.models import Membership
from comptoir.teams.services import ensure_default_team
from tests.conversations.test_views import make_conversation

LINK = re.compile(r"^(?P<label>[^\n:]+?) : (?P<url>https?://\S+)$", re.MULTILINE)


class Desk:
    """What an agent and the worker do, with on-commit callbacks run as they would be."""

    def __init__(self, agent, capture) -> None:
        self.agent = agent
        self.capture = capture

    def resolve(self, conversation: Conversation) -> SatisfactionSurvey | None:
        with self.capture(execute=True):
            services.change_status(conversation=conversation, status="resolved", by=self.agent)
        return conversation.satisfaction_surveys.order_by("-pk").first()

    def sweep(self, *, later: timedelta = timedelta(hours=2)) -> int:
        """Run the worker's survey sweep as it would run `later` after now."""
        with self.capture(execute=True):
            return surveys.send_due_surveys(now=timezone.now() + later)


@pytest.fixture
def desk(agent, django_capture_on_commit_callbacks) -> Desk:
    return Desk(agent, django_capture_on_commit_callbacks)


@pytest.fixture
def conversation(db, agent) -> Conversation:
    conversation = make_conversation(subject="Colis abîmé", name="Paul", email="paul@example.fr")
    services.assign_conversation(conversation=conversation, assignee=agent, by=agent)
    return conversation


@pytest.fixture
def team_with_lead(agent, admin_agent):
    team = ensure_default_team()
    agent.email, admin_agent.email = "camille@shop.example", "dominique@shop.example"
    agent.save()
    admin_agent.save()
    Membership.objects.create(team=team, agent=admin_agent, is_lead=True)
    Membership.objects.create(team=team, agent=agent)
    return team


def survey_links(text: str) -> dict[str, str]:
    """Return the rating links of a survey email, by their label."""
    return {match["label"]: match["url"] for match in LINK.finditer(text)}


def sent_survey_email() -> mail.EmailMessage:
    emails = [m for m in mail.outbox if m.extra_headers.get("Auto-Submitted")]
    assert len(emails) == 1
    return emails[0]
