"""The conversation's audit trail told in words: who did what, when."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.agents.models import Agent
from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.teams.models import Team

Kind = ConversationEvent.Kind

# What each kind of event says, as the second half of "<who> <did what>".
PHRASES: dict[str, Promise] = {
    Kind.VIEWED: gettext_lazy("viewed the conversation"),
    Kind.REPLIED: gettext_lazy("replied to the customer"),
    Kind.NOTE_ADDED: gettext_lazy("added an internal note"),
    Kind.ASSIGNED: gettext_lazy("assigned the conversation"),
    Kind.ROUTED: gettext_lazy("routed the conversation to a team"),
    Kind.STATUS_CHANGED: gettext_lazy("changed the status"),
    Kind.REOPENED: gettext_lazy("reopened the conversation"),
    Kind.CONTACT_LOGGED: gettext_lazy("logged a contact"),
    Kind.CALLBACK_REQUESTED: gettext_lazy("requested a call-back"),
    Kind.FORWARDED: gettext_lazy("forwarded the conversation to an internal service"),
    Kind.FORWARD_ANSWERED: gettext_lazy("the internal service answered"),
    Kind.AUTO_ANSWERED: gettext_lazy("answered automatically"),
    Kind.MACRO_APPLIED: gettext_lazy("applied a prepared answer"),
    Kind.SATISFACTION_RATED: gettext_lazy("rated the answer"),
}
# Without an agent, these came from the customer; anything else from Comptoir itself.
CUSTOMER_KINDS = {Kind.REOPENED, Kind.SATISFACTION_RATED}


@dataclass(frozen=True)
class TrailEntry:
    who: str
    what: str
    at: datetime
    kind: str


def describe_events(events: Iterable[ConversationEvent]) -> list[TrailEntry]:
    """Tell each event in a sentence; reads the agents and teams named in them at once."""
    events = list(events)
    agent_ids = {e.data.get("assignee") for e in events if e.kind == Kind.ASSIGNED}
    team_ids = {e.data.get("team") for e in events if e.kind == Kind.ROUTED}
    agents = (
        {a.pk: str(a) for a in Agent.objects.filter(pk__in=agent_ids - {None})}
        if agent_ids - {None}
        else {}
    )
    teams = (
        {t.pk: t.name for t in Team.objects.filter(pk__in=team_ids - {None})}
        if team_ids - {None}
        else {}
    )
    return [
        TrailEntry(
            who=who_did(event),
            what=what_happened(event, agents, teams),
            at=event.at,
            kind=event.kind,
        )
        for event in events
    ]


def who_did(event: ConversationEvent) -> str:
    if event.actor is not None:
        return str(event.actor)
    if event.kind in CUSTOMER_KINDS:
        return _("The customer")
    return _("Comptoir")


def what_happened(event: ConversationEvent, agents: dict[int, str], teams: dict[int, str]) -> str:
    data = event.data or {}
    if event.kind == Kind.ASSIGNED:
        assignee = data.get("assignee")
        if assignee is None:
            return _("gave the conversation back to the team")
        return _("assigned the conversation to %(agent)s") % {
            "agent": agents.get(assignee, _("a former agent"))
        }
    if event.kind == Kind.ROUTED and data.get("team") in teams:
        return _("routed the conversation to the team %(team)s") % {"team": teams[data["team"]]}
    if event.kind in (Kind.STATUS_CHANGED, Kind.REOPENED) and "to" in data:
        return _("%(what)s: %(before)s → %(after)s") % {
            "what": PHRASES[event.kind],
            "before": status_label(data.get("from")),
            "after": status_label(data["to"]),
        }
    if event.kind == Kind.CONTACT_LOGGED and data.get("channel"):
        direction = (
            _("to the customer")
            if data.get("direction") == Message.Direction.OUTBOUND
            else _("from the customer")
        )
        return _("logged a contact (%(channel)s, %(direction)s)") % {
            "channel": choice_label(Conversation.Channel, data["channel"]),
            "direction": direction,
        }
    phrase = PHRASES.get(event.kind)
    return str(phrase) if phrase is not None else event.kind


def status_label(value: object) -> str:
    return choice_label(Conversation.Status, value)


def choice_label(
    choices: type[Conversation.Status] | type[Conversation.Channel], value: object
) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)
