"""Mentions in internal notes: `@camille` (a username) or `@Claire` (a first name only one
active agent has). Matching is done in Python, not with the database's case-insensitive
lookups: SQLite folds only ASCII letters, so `@Élodie` would match on PostgreSQL only."""

import re
from collections import Counter
from collections.abc import Iterable

from django.core.cache import cache
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from comptoir.agents.models import Agent

# Not after a letter, digit, dot or @: `jeanne@example.fr` is an address, not a mention.
MENTION = re.compile(r"(?<![\w.@])@(\w[\w.+-]*)")
# A sentence may end right after a mention: `Merci @camille.`
TRAILING = ".-+"

HANDLES_CACHE_KEY = "collaboration:mention-handles"
HANDLES_CACHE_SECONDS = 60


def find_handles(text: str) -> list[str]:
    """Return the handles written after an @ in a text, folded, each once, in order."""
    seen: dict[str, None] = {}
    for match in MENTION.finditer(text):
        handle = match.group(1).rstrip(TRAILING).casefold()
        if handle:
            seen.setdefault(handle, None)
    return list(seen)


def handle_directory(agents: Iterable[Agent]) -> dict[str, int]:
    """Map each handle that names one agent to that agent's id.

    A username always names its agent; a first name only when no other active agent has
    it (two Claires: write @claire.martin), and never over somebody's username.
    """
    agents = list(agents)
    directory = {agent.get_username().casefold(): agent.pk for agent in agents}
    first_names = Counter(agent.first_name.casefold() for agent in agents if agent.first_name)
    for agent in agents:
        first_name = agent.first_name.casefold()
        if first_name and first_names[first_name] == 1:
            directory.setdefault(first_name, agent.pk)
    return directory


def active_agents() -> list[Agent]:
    return list(Agent.objects.filter(is_active=True).only("pk", "username", "first_name"))


def mentioned_agents(text: str) -> list[Agent]:
    """Return the active agents a text mentions, each once, in the order of the text."""
    handles = find_handles(text)
    if not handles:
        return []
    agents = active_agents()
    directory = handle_directory(agents)
    by_id = {agent.pk: agent for agent in agents}
    ids = dict.fromkeys(directory[handle] for handle in handles if handle in directory)
    return [by_id[pk] for pk in ids]


def known_handles() -> frozenset[str]:
    """Return every handle that names an agent, for highlighting; cached a minute, so a
    conversation page with many notes reads the agents once, or not at all."""
    handles = cache.get(HANDLES_CACHE_KEY)
    if handles is None:
        handles = frozenset(handle_directory(active_agents()))
        cache.set(HANDLES_CACHE_KEY, handles, HANDLES_CACHE_SECONDS)
    return handles


def highlight_mentions(text: str, handles: frozenset[str]) -> SafeString:
    """Escape a note's text and wrap each mention of an agent in <mark class="mention">."""
    parts: list[str] = []
    position = 0
    for match in MENTION.finditer(text):
        handle = match.group(1).rstrip(TRAILING)
        if handle.casefold() not in handles:
            continue
        end = match.start(1) + len(handle)
        parts.append(escape(text[position : match.start()]))
        parts.append(f'<mark class="mention">{escape(text[match.start() : end])}</mark>')
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 (every piece of the text is escaped above)
