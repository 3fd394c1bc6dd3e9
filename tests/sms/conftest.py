import pytest

from tests.conftest import wants_database
from tests.sms_fake_provider import fake_twilio  # noqa: F401 (fixture)


@pytest.fixture(autouse=True)
def send_at_any_hour(request):
    """Sending tests run at any hour: pressure rules are tested in tests/consents."""
    if wants_database(request):
        request.getfixturevalue("no_marketing_pressure")
