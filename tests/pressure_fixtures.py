"""Sending tests run at any hour: a conftest imports `send_at_any_hour` to apply it to its
directory. Marketing pressure's own rules are tested in tests/consents/test_pressure.py."""

import pytest

from tests.conftest import wants_database


@pytest.fixture(autouse=True)
def send_at_any_hour(request):
    """Quiet hours and caps depend on the clock: tests that use the database send without them."""
    if wants_database(request):
        request.getfixturevalue("no_marketing_pressure")
