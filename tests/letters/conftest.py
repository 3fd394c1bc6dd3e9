from tests.pressure_fixtures import send_at_any_hour  # noqa: F401 (fixture)
