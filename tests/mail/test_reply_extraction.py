from pathlib import Path

import pytest

from comptoir.mail.parsing import parse_email

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "emails"

EXPECTED_REPLIES = {
    "gmail_fr": "Bonjour,\n\nToujours rien reçu, pouvez-vous vérifier le suivi du colis ?\n\nJeanne",
    "outlook_fr": "Merci, la facture est bien arrivée cette fois-ci.",
    "apple_fr": "Parfait, je renvoie le produit demain matin par la poste.",
    "thunderbird_fr": "Le colis est arrivé abîmé, je joins une photo dans un prochain message.",
    "android_fr": "Je n'ai pas encore reçu le remboursement sur mon compte bancaire.",
}


@pytest.mark.parametrize("name, expected", sorted(EXPECTED_REPLIES.items()))
def test_french_clients_reply_keeps_only_the_new_text(name: str, expected: str) -> None:
    parsed = parse_email((FIXTURES / "handwritten" / f"{name}.eml").read_bytes())
    assert parsed.reply_text == expected
    assert parsed.language == "fr"
    assert parsed.in_reply_to == "ticket-42@boutique.example"


@pytest.mark.parametrize("path", sorted(FIXTURES.rglob("*.eml")), ids=lambda p: p.name)
def test_every_fixture_parses_without_defect_exception(path: Path) -> None:
    parsed = parse_email(path.read_bytes())
    assert not any(d.startswith("parse-error") for d in parsed.defects)
