"""The public preference centre and the RFC 8058 one-click unsubscribe, over HTTP."""

import urllib.error
import urllib.request

import pytest
from django.test import Client
from django.utils import timezone

from comptoir.consents.links import customer_token, one_click_url, preference_url
from comptoir.consents.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    Frequency,
    Preference,
    Purpose,
    Source,
)
from comptoir.consents.rules import may_send
from comptoir.customers.models import Customer
from tests.consents.conftest import record

BROWSER = "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.fixture
def page_url(customer) -> str:
    return path_of(preference_url(customer))


@pytest.fixture
def one_click(customer) -> str:
    return path_of(one_click_url(customer))


@pytest.mark.django_db
def test_the_page_opens_without_login_in_french(client, page_url):
    response = client.get(page_url)
    assert response.status_code == 200
    assert "Vos préférences" in response.text
    assert "Bonjour Jeanne" in response.text
    assert "Se désabonner de tout le marketing" in response.text


@pytest.mark.django_db
def test_the_page_speaks_the_customers_language(client, customer, page_url):
    Customer.objects.filter(pk=customer.pk).update(language="en")
    response = client.get(page_url)
    assert "Your preferences" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"), id="signature"),
        pytest.param(lambda token: "1" + token, id="customer-id"),
        pytest.param(lambda token: token.split(":")[0], id="unsigned"),
        pytest.param(lambda token: "nimporte-quoi", id="garbage"),
    ],
)
def test_an_altered_link_finds_nobody(client, customer, alter):
    token = alter(customer_token(customer))
    assert client.get(f"/u/{token}/").status_code == 404
    response = client.post(f"/u/{token}/one-click", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_a_link_signed_for_another_purpose_is_refused(client, customer):
    from django.core import signing

    # Same secret, other salt: e.g. a reply token must not open the preference centre.
    token = signing.Signer(salt="comptoir.something-else").sign(str(customer.pk))
    assert client.get(f"/u/{token}/").status_code == 404


@pytest.mark.django_db
def test_a_link_to_an_erased_customer_finds_nobody(client, customer, page_url):
    customer.delete()
    assert client.get(page_url).status_code == 404


@pytest.mark.django_db
def test_saving_preferences_records_consent_with_its_proof(client, customer, page_url):
    response = client.post(
        page_url,
        {"channels": ["email"], "topics": ["news", "events"], "frequency": Frequency.WEEKLY},
        HTTP_USER_AGENT=BROWSER,
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302

    granted, withdrawn = ConsentRecord.objects.order_by("channel")
    assert (granted.channel, granted.status) == (Channel.EMAIL, ConsentStatus.GRANTED)
    # An unticked box the ledger knew nothing about is an objection: it stops the soft
    # opt-in of a later purchase.
    assert (withdrawn.channel, withdrawn.status) == (Channel.SMS, ConsentStatus.WITHDRAWN)
    assert granted.source == Source.PREFERENCE_CENTRE
    assert granted.ip_address == "203.0.113.7"
    assert granted.user_agent == BROWSER
    assert (granted.notice.name, granted.notice.version, granted.notice.language) == (
        "preference-centre",
        "1",
        "fr",
    )
    assert "désabonner à tout moment" in granted.notice.text
    preference = Preference.objects.get(customer=customer)
    assert (preference.topics, preference.frequency) == (["news", "events"], Frequency.WEEKLY)

    page = client.get(page_url)
    assert "Vos préférences ont été enregistrées." in page.text
    assert 'value="email" id="id_channels_0" checked' in page.text


@pytest.mark.django_db
def test_saving_the_same_choices_again_adds_no_row(client, page_url):
    choices = {"channels": ["email", "sms"], "topics": ["offers"], "frequency": "monthly"}
    client.post(page_url, choices)
    client.post(page_url, choices)
    assert ConsentRecord.objects.count() == 2


@pytest.mark.django_db
def test_an_existing_customer_sees_email_ticked_and_unticking_it_objects(
    client, customer, page_url
):
    from comptoir.customers.services import record_purchase

    record_purchase(customer=customer)
    page = client.get(page_url)
    assert 'value="email" id="id_channels_0" checked' in page.text
    assert 'value="sms" id="id_channels_1" checked' not in page.text

    client.post(page_url, {"channels": [], "topics": ["offers"], "frequency": "as_relevant"})
    assert not may_send(customer, Purpose.MARKETING, Channel.EMAIL).allowed


@pytest.mark.django_db
def test_unsubscribe_from_all_marketing(client, customer, page_url):
    now = timezone.now()
    for channel in (Channel.EMAIL, Channel.SMS):
        record(customer, Purpose.MARKETING, channel, ConsentStatus.GRANTED, now)

    response = client.post(
        page_url, {"unsubscribe_all": "1", "channels": ["email"], "frequency": "weekly"}
    )

    assert response.status_code == 302
    for channel in (Channel.EMAIL, Channel.SMS):
        assert not may_send(customer, Purpose.MARKETING, channel).allowed
    assert may_send(customer, Purpose.SERVICE, Channel.EMAIL).allowed
    assert "Vous ne recevrez plus" in client.get(page_url).text


@pytest.mark.django_db
def test_the_form_needs_its_csrf_token(customer, page_url):
    client = Client(enforce_csrf_checks=True)
    response = client.post(page_url, {"unsubscribe_all": "1"})
    assert response.status_code == 403
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_an_invalid_form_is_shown_again_with_its_errors(client, page_url):
    response = client.post(page_url, {"channels": ["fax"], "frequency": "daily"})
    assert response.status_code == 400
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_one_click_post_unsubscribes_without_cookie_or_csrf_token(customer, one_click):
    client = Client(enforce_csrf_checks=True)
    record(customer, Purpose.MARKETING, Channel.EMAIL, ConsentStatus.GRANTED, timezone.now())

    response = client.post(
        one_click,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        HTTP_USER_AGENT="GoogleOneClick/1.0",
    )

    assert response.status_code == 200
    withdrawal = ConsentRecord.objects.latest("pk")
    assert (withdrawal.channel, withdrawal.status) == (Channel.EMAIL, ConsentStatus.WITHDRAWN)
    assert withdrawal.source == Source.ONE_CLICK
    assert withdrawal.user_agent == "GoogleOneClick/1.0"
    assert not may_send(customer, Purpose.MARKETING, Channel.EMAIL).allowed
    # Only the email it came from: SMS is the customer's choice on the preference page.
    assert not customer.consent_records.filter(channel=Channel.SMS).exists()


@pytest.mark.django_db
def test_one_click_accepts_multipart_as_rfc_8058_allows(client, customer, one_click):
    response = client.post(one_click, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert customer.consent_records.get().status == ConsentStatus.WITHDRAWN


@pytest.mark.django_db
def test_one_click_post_without_the_rfc_body_changes_nothing(client, one_click):
    assert client.post(one_click, {}).status_code == 400
    assert client.post(one_click, {"List-Unsubscribe": "Yes"}).status_code == 400
    assert not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_a_link_scanner_getting_the_one_click_url_unsubscribes_nobody(client, customer, one_click):
    record(customer, Purpose.MARKETING, Channel.EMAIL, ConsentStatus.GRANTED, timezone.now())
    response = client.get(one_click)
    assert response.status_code == 200
    assert "Vos préférences" in response.text
    assert client.head(one_click).status_code in (200, 405)
    assert customer.consent_records.count() == 1
    assert may_send(customer, Purpose.MARKETING, Channel.EMAIL).allowed


@pytest.mark.django_db
def test_one_click_twice_records_one_withdrawal(client, customer, one_click):
    for _ in range(2):
        assert client.post(one_click, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert customer.consent_records.count() == 1


def test_one_click_over_a_real_http_post(transactional_db, live_server, customer, one_click):
    record(customer, Purpose.MARKETING, Channel.EMAIL, ConsentStatus.GRANTED, timezone.now())
    # What a mail provider sends: a bare POST, no cookie, no token, form-encoded body.
    request = urllib.request.Request(
        live_server.url + one_click,
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200

    assert not may_send(customer, Purpose.MARKETING, Channel.EMAIL).allowed
    withdrawal = customer.consent_records.latest("pk")
    assert withdrawal.ip_address == "127.0.0.1"
    assert withdrawal.user_agent.startswith("Python-urllib")

    tampered = live_server.url + one_click.replace("/one-click", "x/one-click")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(
            urllib.request.Request(tampered, data=b"List-Unsubscribe=One-Click"), timeout=10
        )
    assert error.value.code == 404


@pytest.mark.django_db
def test_a_new_notice_version_is_shown_and_pointed_to(client, page_url):
    from comptoir.consents.models import NoticeVersion

    client.get(page_url)  # writes the built-in version 1
    NoticeVersion.objects.create(
        name="preference-centre", version="2", language="fr", text="Nouvelle mention, v2."
    )

    assert "Nouvelle mention, v2." in client.get(page_url).text
    client.post(page_url, {"unsubscribe_all": "1"})
    assert {r.notice.version for r in ConsentRecord.objects.all()} == {"2"}
