"""List-Unsubscribe headers survive Django's rendering: each <URL> stays whole on one line."""

import email
import email.policy
import re

import pytest
from django.core.mail import EmailMessage

from comptoir.consents.links import list_unsubscribe_headers, one_click_url
from comptoir.consents.models import Purpose


@pytest.fixture
def long_public_url(settings):
    # A long host and path make the header well over 78 characters: the folding trap.
    settings.PUBLIC_URL = "https://relation-client.une-boutique-au-nom-vraiment-long.example.fr/crm"
    settings.COMPTOIR_SUPPORT_ADDRESS = (
        "service-client@une-boutique-au-nom-vraiment-long.example.fr"
    )


def render(headers: dict[str, str]) -> bytes:
    message = EmailMessage(
        subject="Nos nouveautés de la semaine",
        body="Bonjour Jeanne,\n\nDécouvrez nos nouveautés.",
        from_email="Service client <service-client@example.fr>",
        to=["jeanne.martin@example.fr"],
        headers=headers,
    )
    return message.message().as_bytes(linesep="\r\n")


@pytest.mark.django_db
def test_marketing_messages_carry_both_headers(customer, long_public_url):
    headers = list_unsubscribe_headers(customer, Purpose.MARKETING)
    url = one_click_url(customer)
    assert headers["List-Unsubscribe"].startswith(f"<{url}>, <mailto:service-client@")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url.endswith("/one-click")


@pytest.mark.django_db
def test_service_messages_carry_no_unsubscribe(customer):
    assert list_unsubscribe_headers(customer, Purpose.SERVICE) == {}


@pytest.mark.django_db
def test_the_header_folds_only_between_the_angle_brackets(customer, long_public_url):
    headers = list_unsubscribe_headers(customer, Purpose.MARKETING)
    raw = render(headers)

    header_block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    field = re.search(r"^List-Unsubscribe:(.*?)(?=\r\n\S)", header_block, re.M | re.S)
    assert field is not None
    folded = field.group(1)
    assert "=?" not in folded, "the header must not be RFC 2047 encoded"
    # Every physical line of the field holds whole <…> items: no URL is cut by a fold.
    for line in folded.split("\r\n"):
        assert line.count("<") == line.count(">"), f"a URL is split across lines: {line!r}"
        assert len(line) <= 998
    assert f"<{one_click_url(customer)}>" in folded
    assert "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in header_block + "\r\n"

    # What a receiving provider reads back, unfolded, is what we wrote.
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert " ".join(str(parsed["List-Unsubscribe"]).split()) == headers["List-Unsubscribe"]
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
