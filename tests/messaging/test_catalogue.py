"""The ready-made French catalogue: every template renders and passes the quality gate."""

import json

import pytest
from django.core.management import call_command

from comptoir.consents.links import list_unsubscribe_headers
from comptoir.consents.models import Purpose
from comptoir.customers.models import Customer, Identity, Store
from comptoir.messaging.models import MessageBlock, MessageTemplate
from comptoir.messaging.quality_gate import Draft, check_message
from comptoir.messaging.rendering import render_message
from comptoir.messaging.services import CATALOGUE, load_catalogue

pytestmark = pytest.mark.django_db

MANIFEST = json.loads((CATALOGUE / "manifest.json").read_text(encoding="utf-8"))
# Emails; the catalogue's letters (channel "letter") are checked in tests/letters.
SLUGS = [
    entry["slug"]
    for entry in MANIFEST["templates"]
    if entry.get("channel", "email") == "email"
]


@pytest.fixture
def catalogue(db):
    load_catalogue()


@pytest.fixture
def jeanne(db):
    store = Store.objects.create(
        name="Lyon Part-Dieu",
        city="Lyon",
        phone="04 78 00 00 00",
        opening_hours="du lundi au samedi de 10 h à 19 h",
    )
    customer = Customer.objects.create(first_name="Jeanne", last_name="Martin", store=store)
    Identity.objects.create(customer=customer, kind="email", value="jeanne.martin@example.fr")
    return customer


@pytest.fixture
def nameless(db):
    customer = Customer.objects.create()
    Identity.objects.create(customer=customer, kind="email", value="m.dupont@example.fr")
    return customer


def findings_for(template: MessageTemplate, customer: Customer) -> list[tuple[str, str, str]]:
    rendered = render_message(template=template, customer=customer, event=template.sample_event)
    # The headers the sending path adds: List-Unsubscribe for what the customer can leave.
    headers = list_unsubscribe_headers(customer, rendered.purpose)
    draft = Draft(
        channel="email",
        kind=rendered.kind,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        from_address="Service client <support@shop.example>",
        headers=headers,
        is_template=False,
    )
    return [(f.rule, f.severity, f.message) for f in check_message(draft)]


def test_the_catalogue_holds_every_message_the_seeds_list(catalogue):
    assert MessageTemplate.objects.count() == 22
    assert set(MessageBlock.objects.values_list("name", flat=True)) == {
        "layout",
        "header",
        "reassurance",
        "footer",
    }
    assert all(t.live_version is not None for t in MessageTemplate.objects.all())


@pytest.mark.parametrize("slug", SLUGS)
def test_catalogue_template_passes_the_quality_gate_for_a_named_customer(catalogue, jeanne, slug):
    template = MessageTemplate.objects.get(slug=slug)

    assert findings_for(template, jeanne) == []


@pytest.mark.parametrize("slug", SLUGS)
def test_catalogue_template_greets_a_customer_without_first_name_plainly(catalogue, nameless, slug):
    template = MessageTemplate.objects.get(slug=slug)

    findings = findings_for(template, nameless)

    # "Bonjour," is the right greeting when we do not know the name; the gate rightly says it
    # names nobody, and that is the only thing it may say.
    assert [(rule, severity) for rule, severity, _message in findings] == [
        ("impersonal-greeting", "warning")
    ]
    rendered = render_message(template=template, customer=nameless, event=template.sample_event)
    assert rendered.text.startswith("Bonjour,\n")
    assert not rendered.subject.startswith(",")
    assert rendered.subject[0].isupper()


def test_relationship_and_marketing_templates_carry_the_unsubscribe_link(catalogue, jeanne):
    for template in MessageTemplate.objects.exclude(kind="transactional").filter(channel="email"):
        rendered = render_message(template=template, customer=jeanne, event=template.sample_event)
        assert rendered.purpose == Purpose.MARKETING
        assert "Se désabonner" in rendered.html
        assert 'data-block="reassurance"' in rendered.html
    order = MessageTemplate.objects.get(slug="order-confirmation")
    rendered = render_message(template=order, customer=jeanne, event=order.sample_event)
    assert rendered.purpose == Purpose.SERVICE
    assert "Se désabonner" not in rendered.html


def test_loading_the_catalogue_twice_adds_nothing_and_keeps_edits(catalogue, admin_agent):
    welcome = MessageTemplate.objects.get(slug="welcome")
    welcome.subject = "Bienvenue, {{ first_name }}"
    welcome.save()

    call_command("load_catalogue", stdout=open("/dev/null", "w"))

    assert MessageTemplate.objects.count() == 22
    assert MessageTemplate.objects.get(slug="welcome").subject == "Bienvenue, {{ first_name }}"
    assert MessageTemplate.objects.get(slug="welcome").versions.count() == 1
