from tests.pressure_fixtures import send_at_any_hour  # noqa: F401 (fixture)
from tests.sms_fake_provider import fake_twilio  # noqa: F401 (fixture)
