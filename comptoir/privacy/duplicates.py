"""Likely duplicate customer records, for an admin to review and merge.

One address belongs to one record (Identity is unique), so duplicates show otherwise:
- the same mailbox written two ways: "jeanne.martin+shop@gmail.com" and
  "jeannemartin@gmail.com" (sub-addresses everywhere, dots at Gmail);
- the same phone number stored under two country codes (the national number matches);
- close names (typos, accents, order of first and last name) at the same company or the
  same postal address.

Names are compared only inside a block of records sharing the company or address, so the
work grows with the size of those blocks, not with the square of the customer base.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

from comptoir.customers.models import Customer, Identity
from comptoir.privacy.audit import erased_customer_ids
from comptoir.privacy.models import DismissedDuplicate

NAME_SCORE_CUTOFF = 85
# A block this large is a placeholder ("N/A", "particulier"), not a company: skip it.
MAX_BLOCK_SIZE = 500
GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}
# Profile fields that make a postal address, where the customer record has them.
ADDRESS_FIELDS = ("address", "address_line1", "street", "postal_code", "zip_code", "city")

REASONS = {
    "same_email": _("Same mailbox written differently"),
    "same_phone": _("Same phone number with another country code"),
    "close_name_same_company": _("Close names, same company"),
    "close_name_same_address": _("Close names, same address"),
}


@dataclass(frozen=True)
class DuplicateCandidate:
    first_id: int
    second_id: int
    reason: str
    score: int

    @property
    def reason_label(self) -> str:
        return str(REASONS[self.reason])


def canonical_mailbox(address: str) -> str:
    """Return the mailbox an address delivers to: sub-address dropped, Gmail dots removed."""
    local, _, domain = address.lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def simplified(text: str) -> str:
    """Lower-case, accents and punctuation removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", letters).split())


def find_duplicate_candidates(limit: int = 200) -> list[DuplicateCandidate]:
    """Return likely duplicate pairs, best first, without dismissed pairs or erased records."""
    best: dict[tuple[int, int], DuplicateCandidate] = {}
    for candidate in [*same_identity_pairs(), *close_name_pairs()]:
        key = (candidate.first_id, candidate.second_id)
        if key not in best or candidate.score > best[key].score:
            best[key] = candidate
    dismissed = set(DismissedDuplicate.objects.values_list("first_id", "second_id"))
    erased = erased_customer_ids()
    found = [
        c
        for key, c in best.items()
        if key not in dismissed and not {c.first_id, c.second_id} & erased
    ]
    found.sort(key=lambda c: (-c.score, c.first_id, c.second_id))
    return found[:limit]


def pairs(ids: Iterable[int]) -> Iterator[tuple[int, int]]:
    return combinations(sorted(set(ids)), 2)


def same_identity_pairs() -> Iterator[DuplicateCandidate]:
    mailboxes: dict[str, set[int]] = defaultdict(set)
    numbers: dict[str, set[int]] = defaultdict(set)
    identities = Identity.objects.values_list("customer_id", "kind", "value")
    for customer_id, kind, value in identities.iterator(chunk_size=5000):
        if kind == Identity.Kind.EMAIL:
            mailboxes[canonical_mailbox(value)].add(customer_id)
        elif kind == Identity.Kind.PHONE:
            digits = re.sub(r"\D", "", value)
            # The national significant number: its last nine digits in France.
            if len(digits) >= 9:
                numbers[digits[-9:]].add(customer_id)
    for group, reason, score in ((mailboxes, "same_email", 100), (numbers, "same_phone", 90)):
        for ids in group.values():
            if 1 < len(ids) <= MAX_BLOCK_SIZE:
                for first, second in pairs(ids):
                    yield DuplicateCandidate(first, second, reason, score)


def close_name_pairs() -> Iterator[DuplicateCandidate]:
    address_fields = [f.name for f in Customer._meta.concrete_fields if f.name in ADDRESS_FIELDS]
    blocks: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    customers = Customer.objects.exclude(Q(first_name="") & Q(last_name="")).values_list(
        "pk", "first_name", "last_name", "company_name", *address_fields
    )
    for pk, first_name, last_name, company, *address in customers.iterator(chunk_size=5000):
        name = simplified(f"{first_name} {last_name}")
        if company and simplified(company):
            blocks[("close_name_same_company", simplified(company))][pk] = name
        address_key = simplified(" ".join(str(part or "") for part in address))
        if address_key:
            blocks[("close_name_same_address", address_key)][pk] = name
    for (reason, _key), names in blocks.items():
        if not 1 < len(names) <= MAX_BLOCK_SIZE:
            continue
        for first, second in pairs(names):
            score = fuzz.token_sort_ratio(names[first], names[second])
            if score >= NAME_SCORE_CUTOFF:
                yield DuplicateCandidate(first, second, reason, round(score))


def dismiss_duplicate(*, first_id: int, second_id: int, by: str) -> None:
    """Record that the two customers are different people: the pair is not proposed again."""
    low, high = sorted((first_id, second_id))
    DismissedDuplicate.objects.get_or_create(
        first_id=low, second_id=high, defaults={"dismissed_by": by}
    )
