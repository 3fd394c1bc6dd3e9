"""The quality gate: each rule on a message that breaks it and one that keeps it."""

import http.server
import json
import subprocess
import threading

import pytest

from comptoir.messaging.models import ToneCharter
from comptoir.messaging.quality_gate import Charter, Draft, check_message, has_errors
from comptoir.messaging.sms_segments import measure_sms
from tests.comptoir_process import COMPTOIR

pytestmark = pytest.mark.django_db

GOOD_REPLY = (
    "Bonjour Jeanne,\n\nVotre colis est reparti ce matin, vous le recevrez jeudi.\n\n"
    "Belle journée,\nÉlodie, service client"
)
GOOD_TEMPLATE = """<html><body>
<p>Bonjour {{ first_name }},</p>
<p>Votre carte de paiement expire bientôt. Mettez-la à jour en deux minutes.</p>
<p><a href="{{ update_url }}">Mettre à jour ma carte</a></p>
{% include "blocks/reassurance.html" %}
<p>Bien cordialement,<br>L'équipe</p>
<p><a href="{{ unsubscribe_url }}">Se désabonner</a></p>
<img src="https://cdn.shop.example/logo.png" alt="Logo">
</body></html>"""


def rules(draft: Draft, **kwargs: object) -> set[str]:
    return {finding.rule for finding in check_message(draft, **kwargs)}


def test_a_good_reply_and_a_good_template_pass():
    assert rules(Draft(kind="reply", text=GOOD_REPLY, from_address="support@shop.example")) == set()
    template = Draft(
        kind="relationship",
        subject="{{ first_name }}, votre carte expire",
        html=GOOD_TEMPLATE,
        is_template=True,
    )
    assert rules(template) == set()


@pytest.mark.parametrize(
    ("draft", "rule", "severity"),
    [
        (Draft(text=GOOD_REPLY, from_address="no-reply@shop.example"), "no-reply-sender", "error"),
        (
            Draft(text=GOOD_REPLY, reply_to="ne-pas-repondre@shop.example"),
            "no-reply-sender",
            "error",
        ),
        (Draft(kind="transactional", text=GOOD_REPLY), "no-call-to-action", "error"),
        (
            Draft(kind="marketing", text=GOOD_REPLY + "\nhttps://shop.example/soldes"),
            "missing-unsubscribe",
            "error",
        ),
        (
            Draft(
                kind="marketing",
                text=GOOD_REPLY + "\nhttps://shop.example/soldes https://shop.example/unsubscribe",
                headers={},
            ),
            "missing-list-unsubscribe",
            "error",
        ),
        (
            Draft(text=GOOD_REPLY.replace("Bonjour Jeanne", "Bonjour")),
            "impersonal-greeting",
            "warning",
        ),
        (
            Draft(text=GOOD_REPLY.replace("Bonjour Jeanne,", "Votre colis")),
            "missing-greeting",
            "warning",
        ),
        (Draft(text=GOOD_REPLY.replace("Belle journée,", "")), "missing-sign-off", "warning"),
        (
            Draft(
                kind="relationship",
                html=GOOD_TEMPLATE.replace('{% include "blocks/reassurance.html" %}', ""),
                is_template=True,
                subject="{{ first_name }}",
            ),
            "missing-reassurance",
            "warning",
        ),
        (
            Draft(
                kind="relationship",
                html=GOOD_TEMPLATE,
                is_template=True,
                subject="Votre carte expire",
            ),
            "subject-not-personalised",
            "warning",
        ),
        (
            Draft(
                kind="relationship",
                html=GOOD_TEMPLATE,
                is_template=True,
                subject="{{ first_name }}, "
                + "votre carte de paiement arrive à expiration le mois prochain",
            ),
            "subject-too-long",
            "warning",
        ),
        (Draft(text=GOOD_REPLY.replace("reparti", "repartti")), "spelling", "warning"),
        (
            Draft(
                kind="relationship",
                html=GOOD_TEMPLATE.replace(' alt="Logo"', ""),
                is_template=True,
                subject="{{ first_name }}",
            ),
            "image-without-alt",
            "warning",
        ),
        (
            Draft(
                kind="relationship",
                html=GOOD_TEMPLATE + "<!--" + "x" * 110_000 + "-->",
                is_template=True,
                subject="{{ first_name }}",
            ),
            "html-too-large",
            "warning",
        ),
        (
            Draft(text=GOOD_REPLY.replace("Votre colis", "Malheureusement votre colis")),
            "word-to-avoid",
            "warning",
        ),
        (
            Draft(
                channel="sms",
                text="Bonjour Jeanne, " + "votre colis arrive demain entre 9h et 12h. " * 4,
            ),
            "sms-too-long",
            "warning",
        ),
        (
            Draft(channel="chat", text="Bonjour, " + "voici la réponse détaillée. " * 20),
            "chat-too-long",
            "warning",
        ),
    ],
)
def test_each_rule_reports_what_breaks_it(draft, rule, severity):
    findings = {f.rule: f for f in check_message(draft)}
    assert rule in findings
    assert findings[rule].severity == severity


@pytest.mark.parametrize(
    ("kind", "text", "severity"),
    [
        ("marketing", "Jeanne, -20 % ce week-end en magasin.", "error"),
        ("relationship", "Jeanne, votre carte arrive à expiration.", "warning"),
        ("marketing", "Jeanne, -20 % ce week-end. STOP au 36180", None),
        ("marketing", "Jeanne, -20 % ce week-end. Stop SMS au 36111", None),
        ("transactional", "Jeanne, votre commande est prête.", None),
    ],
)
def test_a_marketing_sms_says_how_to_stop_them(kind, text, severity):
    findings = {f.rule: f for f in check_message(Draft(channel="sms", kind=kind, text=text))}
    got = findings.get("missing-sms-stop")
    assert (got.severity if got else None) == severity


def test_names_and_elisions_are_not_spelling_mistakes():
    text = "Bonjour Jeanne,\n\nN'hésitez pas à passer à Lyon aujourd'hui, l'équipe vous attend.\n\nCordialement"
    assert "spelling" not in rules(Draft(text=text))


def test_company_words_from_the_tone_charter_are_accepted():
    text = GOOD_REPLY.replace("Votre colis", "Votre comptoirbox")
    assert "spelling" in rules(Draft(text=text))
    ToneCharter.objects.create(company_words="comptoirbox\n")
    assert "spelling" not in rules(Draft(text=text))


def test_errors_block_and_warnings_do_not():
    assert has_errors(check_message(Draft(text=GOOD_REPLY, from_address="noreply@x.example")))
    assert not has_errors(check_message(Draft(text=GOOD_REPLY.replace("Belle journée,", ""))))


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("Bonjour é à è ù", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("€" * 80, "GSM-7", 1),  # two septets each: 160
        ("€" * 81, "GSM-7", 2),
        ("Très bien ê", "UCS-2", 1),
        ("ê" * 71, "UCS-2", 2),
        ("👍", "UCS-2", 1),  # two UTF-16 units
    ],
)
def test_sms_segments_follow_gsm_and_ucs2_rules(text, encoding, segments):
    length = measure_sms(text)
    assert (length.encoding, length.segments) == (encoding, segments)


@pytest.fixture
def web_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # noqa: N802
            self.send_response(200 if self.path == "/ok" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_links_that_do_not_resolve_are_errors_when_links_are_checked(web_server):
    html = f'<p>Bonjour Jeanne,</p><a href="{web_server}/ok">ok</a> <a href="{web_server}/gone">old</a><p>Cordialement</p>'
    draft = Draft(kind="transactional", html=html)
    assert "dead-link" not in rules(draft)
    findings = [f for f in check_message(draft, check_links=True) if f.rule == "dead-link"]
    assert len(findings) == 1 and "/gone" in findings[0].message and "404" in findings[0].message


def test_lint_message_command_prints_json_and_fails_on_errors(tmp_path):
    eml = tmp_path / "reply.eml"
    eml.write_text(
        "From: Boutique <noreply@shop.example>\nTo: jeanne@example.fr\nSubject: Votre commande\n"
        "Content-Type: text/plain; charset=utf-8\n\nBonjour,\n\nVotre commande est partie.\n"
    )
    done = subprocess.run(
        [COMPTOIR, "lint-message", str(eml), "--json"], capture_output=True, text=True
    )
    assert done.returncode == 1
    findings = json.loads(done.stdout)
    assert all(set(f) == {"rule", "severity", "message"} for f in findings)
    assert {"rule": "no-reply-sender", "severity": "error"}.items() <= findings[0].items()
    template = tmp_path / "card.html"
    template.write_text(GOOD_TEMPLATE)
    ok = subprocess.run(
        [
            COMPTOIR,
            "lint-message",
            str(template),
            "--json",
            "--subject",
            "{{ first_name }}, votre carte",
        ],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout) == []


def test_charter_defaults_apply_without_a_saved_charter():
    charter = Charter.current()
    assert "Bonjour" in charter.greetings and charter.sms_max_segments == 1
