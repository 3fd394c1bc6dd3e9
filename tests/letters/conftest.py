import pytest

from tests.conftest import wants_database


@pytest.fixture(autouse=True)
def send_at_any_hour(request):
    """Sending tests run at any hour: pressure rules are tested in tests/consents."""
    if wants_database(request):
        request.getfixturevalue("no_marketing_pressure")
