from tests.pressure_fixtures import send_at_any_hour  # noqa: F401 (fixture)
from tests.routing.conftest import outsider, outsourced_team  # noqa: F401 (fixtures)
from tests.smtp_sink import smtp_sink  # noqa: F401 (fixture)
