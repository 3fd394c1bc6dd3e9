from tests.sms_fake_provider import fake_twilio  # noqa: F401 (fixture)
