"""A customer opens the preference centre from an email link in a real browser (chromium)."""

import pytest
from django.utils import timezone

from comptoir.consents.links import preference_url
from comptoir.consents.models import (
    Channel,
    ConsentStatus,
    Frequency,
    Preference,
    Purpose,
    Source,
)
from comptoir.consents.rules import may_send
from tests.browser_support import SCREENSHOTS
from tests.consents.conftest import record

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_customer_changes_frequency_then_leaves_all_marketing(
    transactional_db,
    live_server,
    settings,
    customer,
    browser_page,
):
    settings.PUBLIC_URL = live_server.url
    record(customer, Purpose.MARKETING, Channel.EMAIL, ConsentStatus.GRANTED, timezone.now())
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: links are opened there

    page.goto(preference_url(customer))
    assert page.locator("h1").inner_text() == "Vos préférences"
    assert page.locator("input[name=channels][value=email]").is_checked()
    assert not page.locator("input[name=channels][value=sms]").is_checked()
    page.check("input[name=frequency][value=weekly]")
    page.uncheck("input[name=topics][value=events]")
    page.click("button[name=save]")
    page.wait_for_selector(".message.success")
    assert "Vos préférences ont été enregistrées." in page.locator(".messages").inner_text()
    assert page.locator("input[name=frequency][value=weekly]").is_checked()

    preference = Preference.objects.get(customer=customer)
    assert (preference.frequency, preference.topics) == (Frequency.WEEKLY, ["offers", "news"])
    # Email stayed ticked: nothing to record; SMS unticked where the ledger was silent: an
    # objection.
    sms = customer.consent_records.get(channel=Channel.SMS)
    assert (sms.status, sms.source) == (ConsentStatus.WITHDRAWN, Source.PREFERENCE_CENTRE)
    assert sms.user_agent and "Chrome" in sms.user_agent
    assert sms.ip_address == "127.0.0.1"
    assert sms.notice is not None and sms.notice.version == "1"
    page.screenshot(path=str(SCREENSHOTS / "comptoir_preferences.png"), full_page=True)

    page.click("button[name=unsubscribe_all]")
    page.wait_for_selector(".message.success:has-text('Vous ne recevrez plus')")
    assert not page.locator("input[name=channels][value=email]").is_checked()

    ledger = list(
        customer.consent_records.order_by("collected_at", "pk").values_list(
            "channel", "status", "source"
        )
    )
    assert ledger == [
        (Channel.EMAIL, ConsentStatus.GRANTED, Source.FORM),
        (Channel.SMS, ConsentStatus.WITHDRAWN, Source.PREFERENCE_CENTRE),
        (Channel.EMAIL, ConsentStatus.WITHDRAWN, Source.PREFERENCE_CENTRE),
    ]
    assert not may_send(customer, Purpose.MARKETING, Channel.EMAIL).allowed
    assert may_send(customer, Purpose.SERVICE, Channel.EMAIL).allowed

    # English on request, from the same page.
    page.click("form.language button[value=en]")
    page.wait_for_selector("h1:has-text('Your preferences')")
