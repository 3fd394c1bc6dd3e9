"""An uploaded list of recipients (CSV of email addresses or customer numbers) read into customers.

A line that names nobody we know is kept and shown to the user: a list quietly shrinking
between upload and send is how a campaign misses the people it was for.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from comptoir.customers.identities import InvalidIdentity, normalise_email
from comptoir.customers.importing import read_csv
from comptoir.customers.models import Customer, Identity

CUSTOMER_NUMBER = re.compile(r"#?(\d{1,18})")
LOOKUP_BATCH = 500


@dataclass
class ResolvedList:
    customer_ids: list[int] = field(default_factory=list)
    # The entries (as written) that name no customer, or are not an address nor a number.
    unknown: list[str] = field(default_factory=list)
    # Lines naming a customer another line already named.
    repeated: int = 0


@dataclass(frozen=True)
class Entry:
    written: str
    email: str = ""
    number: int | None = None


def read_entry(cells: list[str]) -> Entry | None:
    """Read the first email address, else the first customer number, of a line."""
    cells = [str(cell).strip() for cell in cells if str(cell).strip()]
    if not cells:
        return None
    for cell in cells:
        if "@" in cell:
            try:
                return Entry(cell, email=normalise_email(cell))
            except InvalidIdentity:
                return Entry(cell)
    for cell in cells:
        number = CUSTOMER_NUMBER.fullmatch(cell)
        if number:
            return Entry(cell, number=int(number[1]))
    return Entry(cells[0])


def read_entries(stream: BinaryIO) -> list[Entry]:
    entries = []
    for index, cells in enumerate(read_csv(stream)):
        entry = read_entry(cells)
        if entry is None:
            continue
        if index == 0 and not entry.email and entry.number is None:
            continue  # a header line ("email;prénom")
        entries.append(entry)
    return entries


def batches(values: list, size: int = LOOKUP_BATCH) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def customers_by_email(emails: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for batch in batches(emails):
        found.update(
            Identity.objects.filter(kind=Identity.Kind.EMAIL, value__in=batch).values_list(
                "value", "customer_id"
            )
        )
    return found


def existing_customers(numbers: list[int]) -> set[int]:
    found: set[int] = set()
    for batch in batches(numbers):
        found.update(Customer.objects.filter(pk__in=batch).values_list("pk", flat=True))
    return found


def resolve_list(stream: BinaryIO) -> ResolvedList:
    """Read a CSV (one recipient a line; `;`, `,` or tab) into customer ids and unknown entries."""
    entries = read_entries(stream)
    by_email = customers_by_email(sorted({e.email for e in entries if e.email}))
    numbers = existing_customers(sorted({e.number for e in entries if e.number is not None}))
    resolved = ResolvedList()
    seen: set[int] = set()
    for entry in entries:
        customer_id = by_email.get(entry.email) if entry.email else None
        if entry.number is not None and entry.number in numbers:
            customer_id = entry.number
        if customer_id is None:
            resolved.unknown.append(entry.written[:320])
        elif customer_id in seen:
            resolved.repeated += 1
        else:
            seen.add(customer_id)
            resolved.customer_ids.append(customer_id)
    return resolved
