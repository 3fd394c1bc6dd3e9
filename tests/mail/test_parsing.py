import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from comptoir.mail.parsing import parse_email
from comptoir.mail.reply_extraction import extract_reply
from tests.conftest import make_email

COMPTOIR = Path(sys.executable).with_name("comptoir")


@pytest.mark.parametrize(
    "body, expected",
    [
        ("Merci !\n\nLe lun. 23 nov. 2026 à 10:00, Jeanne <j@x.fr> a écrit :\n> avant", "Merci !"),
        ("Merci !\n\nLe lun. 23 nov. 2026 à 10:00, Jeanne <j@x.fr> a\nécrit :\n> avant", "Merci !"),
        ("Thanks!\n\nOn Mon, Nov 23, 2026 at 10:00 AM Bob <b@x.com>\nwrote:\n> before", "Thanks!"),
        ("Ok\n\nDe : Support <s@x.fr>\nEnvoyé : lundi\nÀ : moi\nObjet : Re: x\n\nold", "Ok"),
        ("Ok\n\nFrom: Support\nSent: Monday\nTo: me\nSubject: x\n\nold", "Ok"),
        ("Ok\n-----Original Message-----\nold", "Ok"),
        ("Ok\n\n-- \nJeanne Martin\nACME", "Ok"),
        ("Ok merci\n\nEnvoyé de mon iPhone", "Ok merci"),
        ("Ok\n\nGet Outlook for iOS", "Ok"),
    ],
)
def test_reply_text_keeps_only_the_new_text(body: str, expected: str) -> None:
    assert extract_reply(body) == expected


def test_forwarded_message_is_kept_whole() -> None:
    body = "Voir ci-dessous\n\n---------- Forwarded message ---------\nDe: x\n\nLe texte"
    assert "Le texte" in extract_reply(body)


def test_headers_are_decoded_and_language_detected() -> None:
    raw = make_email(
        sender="=?utf-8?q?Jos=C3=A9?= <Jose@EXAMPLE.FR>",
        subject="=?iso-8859-1?q?Re=E7u?=",
        headers={"In-Reply-To": "<a@x> junk <b@x>", "References": "<a@x>\r\n <b@x>"},
        body="Bonjour, je n'ai toujours pas reçu ma commande depuis lundi.",
    )
    parsed = parse_email(raw)
    assert (parsed.from_name, parsed.from_address) == ("José", "Jose@example.fr")
    assert parsed.subject == "Reçu"
    assert parsed.in_reply_to == "b@x" and parsed.references == ["a@x", "b@x"]
    assert parsed.date is not None and parsed.date.tzinfo is not None
    assert parsed.language == "fr"


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Auto-Response-Suppress": "All"},
        {"List-Id": "<x.list>"},
        {"Return-Path": "<>"},
    ],
)
def test_automatic_mail_is_flagged(headers: dict[str, str]) -> None:
    assert parse_email(make_email(headers=headers)).auto_submitted


def test_customer_mail_is_not_automatic() -> None:
    assert not parse_email(make_email(headers={"Auto-Submitted": "no"})).auto_submitted
    assert parse_email(make_email(sender="MAILER-DAEMON@x.org")).auto_submitted


def test_html_only_mail_is_sanitised_and_gets_text() -> None:
    raw = (
        b"From: a@b.c\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p onclick='x()'>Bonjour <img src='cid:logo'><script>evil()</script></p>"
        b"<div class='gmail_quote'>old</div>"
    )
    parsed = parse_email(raw)
    assert "script" not in parsed.html and "onclick" not in parsed.html and "cid:logo" in parsed.html
    assert parsed.reply_text == "Bonjour"


def test_parse_never_raises_on_garbage() -> None:
    rng = random.Random(1)
    base = make_email()
    samples = [b"", os.urandom(3000), base[: len(base) // 2], b"\n" * 100, b"Subject: =?x?q?\xff?=\n\n"]
    samples += [bytes(rng.getrandbits(8) for _ in range(200)) + base for _ in range(20)]
    for raw in samples:
        parse_email(raw)


def test_parse_mail_command_prints_the_json_contract(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(make_email())
    result = subprocess.run([COMPTOIR, "parse-mail", str(path), "--json"], capture_output=True, check=True)
    assert set(json.loads(result.stdout)) == {
        "from", "from_name", "to", "cc", "subject", "date", "message_id", "in_reply_to",
        "references", "text", "html", "reply_text", "attachments", "auto_submitted", "language",
    }
    missing = subprocess.run([COMPTOIR, "parse-mail", str(tmp_path / "nope")], capture_output=True)
    assert missing.returncode == 2 and b"cannot read" in missing.stderr


def test_multipart_attachments_inline_images_and_charsets() -> None:
    raw = (
        b"From: a@B.example\r\nSubject: =?utf-8?b?w6l0w6k=?=\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b'--b1\r\nContent-Type: multipart/related; boundary="b2"\r\n\r\n'
        b"--b2\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=E8me\r\n"
        b"--b2\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b2--\r\n"
        b"--b1\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''facture%20n%C2%B01.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
        b"--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhello\r\n--b1--\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.subject == "été" and parsed.from_address == "a@b.example"
    assert parsed.text == "Café crème"
    names = {a.filename: a for a in parsed.attachments}
    assert names["facture n°1.pdf"].content == b"%PDF-"
    inline = next(a for a in parsed.attachments if a.content_id == "logo@x")
    assert inline.is_inline and inline.content.startswith(b"\x89PNG")
    assert any(a.content_type == "message/rfc822" for a in parsed.attachments)
