"""Sends per destination domain: mailbox providers slow down or refuse a sender that goes
faster than they like (Gmail, Orange…), and the reputation lost then costs every customer.

COMPTOIR_DOMAIN_RATES="gmail.com=20/s,orange.fr=600/m,*=50/s": a domain's own rate, else
the "*" one (each other domain counted on its own). The count lives in Django's cache, per
domain and time window, so every worker sharing the cache (Redis) shares the limit.
"""

import re
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

RATE = re.compile(r"^(?P<domain>[^=\s]+)=(?P<count>\d+)/(?P<unit>[smh])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
DEFAULT_DOMAIN = "*"


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


@lru_cache(maxsize=8)
def parse_rates(spec: str) -> dict[str, Rate]:
    """Read COMPTOIR_DOMAIN_RATES; raise ImproperlyConfigured on a malformed entry."""
    rates = {}
    for entry in filter(None, (e.replace(" ", "") for e in spec.split(","))):
        match = RATE.match(entry)
        if not match:
            raise ImproperlyConfigured(
                f"COMPTOIR_DOMAIN_RATES: {entry!r} is not domain=count/s (or /m, /h)"
            )
        rates[match["domain"].lower()] = Rate(int(match["count"]), UNIT_SECONDS[match["unit"]])
    return rates


def rate_for(domain: str) -> Rate | None:
    rates = parse_rates(settings.COMPTOIR_DOMAIN_RATES)
    return rates.get(domain) or rates.get(DEFAULT_DOMAIN)


def delay_before_sending(channel: str, recipient: str) -> float:
    """Take a sending slot for the recipient's domain: 0 when the message may go now, else the
    seconds until the domain's next window (the slot is then not taken)."""
    if channel != "email":
        return 0.0
    domain = recipient.rpartition("@")[2].lower()
    rate = rate_for(domain)
    if rate is None:
        return 0.0
    now = time.time()
    window = int(now // rate.seconds)
    key = f"throttle:{domain}:{rate.seconds}:{window}"
    cache.add(key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's key expired between add() and incr()
        cache.set(key, 1, timeout=rate.seconds + 1)
        count = 1
    if count <= rate.count:
        return 0.0
    return (window + 1) * rate.seconds - now
