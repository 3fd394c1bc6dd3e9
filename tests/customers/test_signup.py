"""The public sign-up form: required and optional fields, consent with proof, robots kept out."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.consents.models import ConsentRecord, Source
from comptoir.core.form_abuse import sign_render_time
from comptoir.customers.completeness import request_profile_completion
from comptoir.customers.models import Customer, Identity, RequiredProfileField
from tests.customers.conftest import EMAIL

pytestmark = pytest.mark.django_db

URL = "/inscription/"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def shown_a_while_ago() -> str:
    return sign_render_time(time.time() - 30)


def submit(client: Client, **fields: str):  # type: ignore[no-untyped-def]
    data = {"email": "luc.bernard@example.fr", "rendered_at": shown_a_while_ago(), **fields}
    return client.post(URL, data, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT=BROWSER)


def test_email_is_marked_required_and_personal_fields_optional():
    page = Client().get(URL).content.decode()

    email_label = page.split('for="id_email"', 1)[1].split("</label>", 1)[0]
    assert "(obligatoire)" in email_label
    for name in ("first_name", "last_name", "phone", "age_bracket", "marketing"):
        label = page.split(f'for="id_{name}"', 1)[1].split("</label>", 1)[0]
        assert "(facultatif)" in label, name
    assert 'name="email"' in page and "required" in page.split('name="email"', 1)[1].split(">")[0]


def test_opt_in_is_unticked_and_shown_beside_the_notice():
    page = Client().get(URL).content.decode()

    checkbox = page.split('name="marketing"', 1)[1].split(">", 1)[0]
    assert "checked" not in checkbox
    assert "offres et actualités par e-mail" in page
    honeypot = page.split('name="website"', 1)[1].split(">", 1)[0]
    assert 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot


def test_sign_up_creates_the_customer_with_only_what_was_given():
    response = submit(Client(), first_name="Luc")

    assert response.status_code == 302 and response["Location"] == reverse("customers:sign_up_done")
    identity = Identity.objects.get(kind="email", value="luc.bernard@example.fr")
    assert identity.customer.first_name == "Luc"
    assert identity.customer.last_name == ""
    assert not ConsentRecord.objects.exists()


def test_ticked_opt_in_is_recorded_with_its_proof():
    submit(Client(), marketing="on")

    record = ConsentRecord.objects.get()
    assert (record.purpose, record.channel, record.status) == ("marketing", "email", "granted")
    assert record.source == Source.FORM
    assert record.notice is not None and record.notice.name == "sign-up"
    assert record.ip_address == "203.0.113.7"
    assert record.user_agent == BROWSER
    assert record.collected_at is not None


def test_known_email_gets_the_same_answer_and_no_second_record(customer):
    new = submit(Client(), email="luc.bernard@example.fr")
    known = submit(Client(), email=EMAIL.upper(), first_name="Intrus", last_name="Autre")

    assert (known.status_code, known["Location"]) == (new.status_code, new["Location"])
    assert Identity.objects.filter(kind="email", value=EMAIL).count() == 1
    assert Customer.objects.count() == 2
    customer.refresh_from_db()
    # A stranger who types someone's address does not rewrite their record.
    assert (customer.first_name, customer.last_name) == ("Jeanne", "Martin")


def test_filled_honeypot_gets_the_thank_you_page_and_nothing_is_stored():
    response = submit(Client(), website="http://spam.example", marketing="on")

    assert response.status_code == 302 and response["Location"] == reverse("customers:sign_up_done")
    assert not Customer.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_form_sent_too_fast_is_treated_as_a_robot():
    response = submit(Client(), rendered_at=sign_render_time(), marketing="on")

    assert response.status_code == 302
    assert not Customer.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_form_without_a_valid_render_time_is_treated_as_a_robot():
    submit(Client(), rendered_at="1700000000.000:forged")

    assert not Customer.objects.exists()


def test_sixth_post_from_one_address_is_refused_with_429():
    client = Client()
    answers = [submit(client, email=f"p{n}@example.fr").status_code for n in range(6)]

    assert answers == [302] * 5 + [429]
    assert Customer.objects.count() == 5
    refused = submit(client, email="p7@example.fr")
    assert "Veuillez patienter" in refused.content.decode()
    assert refused["Retry-After"]
    # Another address is not held back.
    other = Client().post(
        URL,
        {"email": "q@example.fr", "rendered_at": shown_a_while_ago()},
        REMOTE_ADDR="198.51.100.9",
    )
    assert other.status_code == 302


def test_bad_phone_is_refused_and_nothing_is_stored():
    response = submit(Client(), phone="pas un numéro")

    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_address_refused_by_the_identity_check_is_a_form_error():
    response = submit(Client(), email="jeanne@localhost")

    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_csrf_is_enforced():
    client = Client(enforce_csrf_checks=True)

    response = submit(client)

    assert response.status_code == 403
    assert not Customer.objects.exists()


# --- The completion form reached from a signed link gets the honeypot and the rate limit --------


def completion_path(customer: Customer) -> str:
    return "/" + request_profile_completion(customer).split("://", 1)[1].split("/", 1)[1]


def test_completion_form_with_filled_honeypot_stores_nothing(customer):
    RequiredProfileField.objects.create(field="age_bracket")

    response = Client().post(completion_path(customer), {"age_bracket": "25_34", "website": "spam"})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.age_bracket == ""


def test_completion_form_sixth_post_from_one_address_is_refused_with_429(customer):
    RequiredProfileField.objects.create(field="age_bracket")
    path = completion_path(customer)
    client = Client()

    answers = [client.post(path, {"age_bracket": "25_34"}).status_code for _ in range(6)]

    assert answers == [302] * 5 + [429]
