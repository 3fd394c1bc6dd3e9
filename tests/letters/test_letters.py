"""Postal letters: a template rendered to an A4 PDF, sent through the one sending path, and
the page where admins find the letters to print."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from comptoir.agents.models import Agent
from comptoir.consents import services as consents
from comptoir.consents.models import Channel, ConsentStatus, Purpose, Source
from comptoir.consents.rules import Reason
from comptoir.customers.models import Customer
from comptoir.letters.config import LetterConfig
from comptoir.letters.models import Letter
from comptoir.letters.pdf import LetterContent, french_date, render_letter
from comptoir.messaging.models import Delivery, MessageTemplate
from comptoir.messaging.sending import Outbound, send_outbound
from comptoir.messaging.services import save_message_template
from comptoir.teams.models import Membership, Team

pytestmark = pytest.mark.django_db
ADDRESS = "Jeanne Martin\n12 rue de la République\n69002 Lyon"
SENDER = LetterConfig(
    company_name="Maison Lumière",
    postal_address=["3 place Bellecour", "69002 Lyon"],
    phone="04 78 00 00 00",
    support_address="service@lumiere.example",
    city="Lyon",
)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def jeanne() -> Customer:
    return Customer.objects.create(first_name="Jeanne", last_name="Martin", postal_address=ADDRESS)


def letter_template(
    slug: str = "amendment", kind: str = "transactional", body: str = ""
) -> MessageTemplate:
    return save_message_template(
        template=MessageTemplate(slug=slug),
        subject="Avenant à votre contrat d'entretien",
        body=body
        or "<p>{{ greeting }}</p><p>Vous trouverez ci-joint l'avenant à votre contrat.</p>",
        author=None,
        name=slug,
        kind=kind,
        channel="letter",
    )


def send(template, customer, capture, **fields) -> Delivery:
    with capture(execute=True):
        delivery = send_outbound(Outbound(template=template, customer=customer, **fields))
    delivery.refresh_from_db()
    return delivery


def test_letter_pdf_carries_address_place_date_subject_and_signature_area():
    rendered = render_letter(
        LetterContent(
            recipient=ADDRESS,
            subject="Avenant à votre contrat",
            body_html="<html><body><p>Bonjour Jeanne,</p><p>Voici votre avenant.</p></body></html>",
            written_on=date(2026, 11, 26),
            to_sign=True,
            sender=SENDER,
        )
    )

    assert rendered.pdf.startswith(b"%PDF-")
    assert rendered.pages == 1
    text = pdf_text(rendered.pdf)
    for expected in [
        "Maison Lumière",
        "3 place Bellecour",
        "12 rue de la République",
        "69002 Lyon",
        "Lyon, le 26 novembre 2026",
        "Objet : Avenant à votre contrat",
        "Voici votre avenant.",
        "Lu et approuvé, signature",
    ]:
        assert expected in text, expected


def test_letter_without_signature_has_no_signature_area():
    rendered = render_letter(
        LetterContent(
            recipient=ADDRESS,
            subject="Information",
            body_html="<p>Bonjour</p>",
            written_on=date(2026, 12, 1),
            sender=SENDER,
        )
    )

    text = pdf_text(rendered.pdf)
    assert "Lu et approuvé" not in text
    assert "Lyon, le 1er décembre 2026" in text


def test_letter_body_cannot_run_scripts_or_read_files():
    rendered = render_letter(
        LetterContent(
            recipient=ADDRESS,
            subject="Information",
            body_html='<p>Texte</p><script>alert(1)</script><img src="file:///etc/passwd">'
            '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
            written_on=date(2026, 11, 26),
            sender=SENDER,
        )
    )

    text = pdf_text(rendered.pdf)
    assert "Texte" in text and "alert" not in text and "root:" not in text


def test_french_dates():
    assert french_date(date(2026, 1, 1)) == "1er janvier 2026"
    assert french_date(date(2026, 8, 15)) == "15 août 2026"


def test_letter_goes_through_the_sending_path_to_a_pdf_ready_to_print(
    jeanne, settings, django_capture_on_commit_callbacks
):
    template = letter_template()

    delivery = send(template, jeanne, django_capture_on_commit_callbacks, context={"to_sign": True})

    assert (delivery.channel, delivery.status) == ("letter", Delivery.Status.SENT)
    assert delivery.recipient == ADDRESS
    letter = Letter.objects.get(delivery=delivery)
    assert letter.file == f"letters/{delivery.pk}.pdf"
    assert letter.to_sign and letter.printed_at is None
    pdf = (Path(settings.MEDIA_ROOT) / letter.file).read_bytes()
    text = pdf_text(pdf)
    assert "12 rue de la République" in text
    assert "Objet : Avenant à votre contrat d'entretien" in text
    assert "Bonjour Jeanne," in text
    assert "Lu et approuvé, signature" in text
    assert not list((Path(settings.MEDIA_ROOT) / "letters").glob(".*")), "no temporary file left"


def test_a_letter_sent_again_rewrites_its_one_file(
    jeanne, settings, django_capture_on_commit_callbacks
):
    from comptoir.messaging import dispatch

    delivery = send(letter_template(), jeanne, django_capture_on_commit_callbacks)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.QUEUED)

    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.SENT
    assert Letter.objects.count() == 1
    assert [p.name for p in (Path(settings.MEDIA_ROOT) / "letters").iterdir()] == [
        f"{delivery.pk}.pdf"
    ]


def test_letter_without_postal_address_is_refused(django_capture_on_commit_callbacks):
    nobody = Customer.objects.create(first_name="Paul")

    delivery = send(letter_template(), nobody, django_capture_on_commit_callbacks)

    assert delivery.status == Delivery.Status.REFUSED
    assert delivery.refusal_reason == Reason.NO_ADDRESS
    assert not Letter.objects.exists()


def test_marketing_letter_is_opt_out(jeanne, django_capture_on_commit_callbacks):
    template = letter_template(slug="catalogue", kind="marketing")

    first = send(template, jeanne, django_capture_on_commit_callbacks, dedupe_key="a")
    consents.record_consent(
        customer=jeanne,
        purpose=Purpose.MARKETING,
        channel=Channel.LETTER,
        status=ConsentStatus.WITHDRAWN,
        proof=consents.Proof(source=Source.AGENT),
    )
    second = send(template, jeanne, django_capture_on_commit_callbacks, dedupe_key="b")

    assert first.status == Delivery.Status.SENT
    assert (second.status, second.refusal_reason) == (Delivery.Status.REFUSED, Reason.WITHDRAWN)


@pytest.fixture
def ready_letter(jeanne, django_capture_on_commit_callbacks) -> Letter:
    delivery = send(letter_template(), jeanne, django_capture_on_commit_callbacks)
    return Letter.objects.get(delivery=delivery)


def test_admin_lists_downloads_and_marks_a_letter_printed(client, admin_agent, ready_letter):
    client.force_login(admin_agent)

    page = client.get(reverse("letters:list"))
    assert page.status_code == 200
    assert reverse("letters:download", args=[ready_letter.pk]) in page.content.decode()
    assert "Jeanne Martin" in page.content.decode()

    download = client.get(reverse("letters:download", args=[ready_letter.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")

    done = client.post(reverse("letters:printed", args=[ready_letter.pk]))
    assert done.status_code == 302
    ready_letter.refresh_from_db()
    assert ready_letter.printed_at is not None and ready_letter.printed_by == admin_agent


def test_letters_list_runs_a_fixed_number_of_queries(
    client, admin_agent, ready_letter, django_assert_max_num_queries
):
    client.force_login(admin_agent)
    with django_assert_max_num_queries(8):
        client.get(reverse("letters:list"))


@pytest.fixture
def outsider() -> Agent:
    team = Team.objects.create(name="Niveau 1 externe", is_outsourced=True)
    agent = Agent.objects.create_user(username="olivier", password="motdepasse-olivier-1")
    Membership.objects.create(team=team, agent=agent)
    return agent


@pytest.mark.parametrize("persona", ["agent", "outsider"])
def test_only_admins_reach_letters(client, request, persona, ready_letter):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("letters:list")).status_code == 403
    assert client.get(reverse("letters:download", args=[ready_letter.pk])).status_code == 403
    assert client.post(reverse("letters:printed", args=[ready_letter.pk])).status_code == 403
    ready_letter.refresh_from_db()
    assert ready_letter.printed_at is None


def test_letters_need_a_login(client, ready_letter):
    response = client.get(reverse("letters:download", args=[ready_letter.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("agents:login"))


def test_the_catalogue_letter_renders_to_a_pdf_to_sign(jeanne, django_capture_on_commit_callbacks):
    from comptoir.messaging.rendering import render_message
    from comptoir.messaging.services import load_catalogue

    load_catalogue()
    template = MessageTemplate.objects.get(slug="contract-amendment")
    assert template.channel == "letter"
    rendered = render_message(template=template, customer=jeanne, event=template.sample_event)

    letter = render_letter(
        LetterContent(
            recipient=ADDRESS,
            subject=rendered.subject,
            body_html=rendered.html,
            written_on=date(2026, 11, 26),
            to_sign="data-to-sign" in rendered.html,
            sender=SENDER,
        )
    )

    text = pdf_text(letter.pdf)
    assert "Objet : Avenant n° 2 à votre contrat n° CE-2024-0815" in text
    assert "Bonjour Jeanne," in text
    assert "vendredi 1er janvier 2027" in text
    assert "Lu et approuvé, signature" in text
