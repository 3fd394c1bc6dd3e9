"""Which rule a conversation matches: pure functions on plain facts, no database."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from comptoir.routing.models import RoutingRule


@dataclass(frozen=True)
class RoutingFacts:
    """What the rules look at in one conversation."""

    category: str = ""
    level: str = ""
    channel: str = ""
    segment_ids: frozenset[int] = field(default_factory=frozenset)
    is_vip: bool = False
    # Subject and first message, folded by `fold()`.
    text: str = ""


def fold(text: str) -> str:
    """Lower-case and strip accents: "Réclamation" and "reclamation" are the same keyword."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def keywords_of(rule: RoutingRule) -> list[str]:
    return [fold(word.strip()) for word in re.split(r"[,\n]", rule.keywords) if word.strip()]


def matches(rule: RoutingRule, facts: RoutingFacts) -> bool:
    """Whether every condition the rule sets holds for the conversation."""
    if rule.category and rule.category != facts.category:
        return False
    if rule.level and rule.level != facts.level:
        return False
    if rule.channel and rule.channel != facts.channel:
        return False
    if rule.segment_id and rule.segment_id not in facts.segment_ids:
        return False
    if rule.vip_only and not facts.is_vip:
        return False
    keywords = keywords_of(rule)
    return not keywords or any(keyword in facts.text for keyword in keywords)


def choose_rule(rules: Iterable[RoutingRule], facts: RoutingFacts) -> RoutingRule | None:
    """Return the first rule that matches, `rules` being in priority order."""
    return next((rule for rule in rules if matches(rule, facts)), None)
