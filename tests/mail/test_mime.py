"""The bytes of an outbound email: our own encoders give what the standard library gives."""

import binascii
import email
import email.policy
import random

import pytest

from comptoir.customers.models import Customer
from comptoir.mail.mime import email_bytes, encoded_words, header_line, text_part
from comptoir.messaging.models import MessageTemplate
from comptoir.messaging.rendering import render_message
from comptoir.messaging.services import load_catalogue


def whole_text_quoted_printable(content: str) -> str:
    """binascii on the whole text, which the part ends with a line break."""
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    data = (content if content.endswith("\n") else content + "\n").encode("utf-8")
    return binascii.b2a_qp(data, quotetabs=False, istext=True).decode("ascii")


def encoded_body(part: str) -> str:
    return part.split("\r\n\r\n", 1)[1]


TRICKY_TEXTS = [
    "",
    "\n",
    "Bonjour Léa,\n\nVotre commande n° 1234 à 49,90 € est partie.\n",
    "trailing space \nand tab\t\nend with space ",
    "a=b=c\r\nligne CRLF\r\n",
    "x" * 300 + "é" * 100 + "\n" + "=" * 90,
    ".leading dot\n..two\nFrom the start\n",
    "emoji 😀 " * 40,
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_quoted_printable_line_by_line_is_binascii_on_the_whole_text(text):
    expected = whole_text_quoted_printable(text).replace("\n", "\r\n")
    assert encoded_body(text_part(text, "plain")).rstrip("\r\n") == expected.rstrip("\r\n")


def test_random_texts_encode_as_binascii_does():
    alphabet = "ab =\t\r\né€😀." + "x" * 30
    chooser = random.Random(4)
    for _ in range(300):
        text = "".join(chooser.choice(alphabet) for _ in range(chooser.randint(0, 400)))
        expected = whole_text_quoted_printable(text).replace("\n", "\r\n")
        body = encoded_body(text_part(text, "html"))
        assert body.rstrip("\r\n") == expected.rstrip("\r\n")
        # binascii's own lines: 76 characters, 78 with an encoded space before the break
        # (SMTP allows 998).
        assert all(len(line) <= 78 for line in body.split("\r\n"))
        decoded = binascii.a2b_qp(body.replace("\r\n", "\n").encode()).decode()
        expected_text = text.replace("\r\n", "\n").replace("\r", "\n")
        assert decoded.rstrip("\n") == expected_text.rstrip("\n")
        assert "\r" not in body.replace("\r\n", "")  # no bare CR on the wire


@pytest.mark.django_db
def test_every_catalogue_html_encodes_as_binascii_does():
    customer = Customer.objects.create(first_name="Hélène", last_name="Durand")
    load_catalogue()
    for template in MessageTemplate.objects.all():
        html = render_message(template=template, customer=customer, extra={}).html
        expected = whole_text_quoted_printable(html).replace("\n", "\r\n")
        assert encoded_body(text_part(html, "html")).rstrip("\r\n") == expected.rstrip("\r\n")


SUBJECTS = [
    "Léa, votre séance en direct",
    "Hélène-Françoise, votre commande n° 2026-000123 est prête à être retirée en magasin à Lyon",
    "😀" * 40,
    "é" * 200,
    "Prix ­mis à jour",
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_french_subject_reads_back_whole_and_every_line_stays_short(subject):
    line = header_line("Subject", subject)
    assert all(len(physical) <= 76 for physical in line.split("\r\n"))
    assert all(
        len(word) <= 75 for word in line.removeprefix("Subject: ").strip().split("\r\n ")
    )
    raw = (line + "\r\n").encode("ascii") + b"body\r\n"
    assert email.message_from_bytes(raw, policy=email.policy.default)["Subject"] == subject


def test_a_long_header_name_still_gets_words_that_decode():
    value = "Référence très longue à encoder"
    line = header_line("X-" + "Very-Long-Header-Name-" * 3, value)
    parsed = email.message_from_bytes(line.encode() + b"\r\n", policy=email.policy.default)
    assert parsed["X-" + "Very-Long-Header-Name-" * 3] == value
    assert encoded_words("😀😀", first_room=20).count("=?utf-8?b?") == 2


def test_addresses_keep_their_names_encoded_and_bare_addresses_as_they_are():
    raw = email_bytes(
        [
            ("From", "Service client Élodie <service@shop.example>"),
            ("To", "lea.martin+promo@example.net"),
            ("Reply-To", '"Martin, Léa" <lea@example.net>'),
            ("Subject", "Bonjour"),
        ],
        text="Bonjour Léa",
        html="<p>Bonjour Léa</p>",
    )
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["From"].addresses[0].display_name == "Service client Élodie"
    assert parsed["To"] == "lea.martin+promo@example.net"
    assert parsed["Reply-To"].addresses[0].display_name == "Martin, Léa"
    assert parsed.get_body(("plain",)).get_content().strip() == "Bonjour Léa"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Bonjour Léa</p>"
