"""A clock the SLA tests set: every `timezone.now()` (auto_now fields included) reads it."""

from datetime import datetime

import pytest
from django.utils import timezone

from comptoir.teams.business_time import PARIS


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, *args: int) -> datetime:
        self.now = datetime(*args, tzinfo=PARIS)
        return self.now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=PARIS))
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen
