"""Rendering a template for a customer: the sandbox, French formatting, MJML and the text part."""

import re
from datetime import date, datetime, timezone as dt_timezone

import pytest
from django.conf import settings

from comptoir.customers.models import BusinessEvent, Customer, Identity, Store
from comptoir.messaging.models import MessageBlock, MessageTemplate
from comptoir.messaging.quality_gate import Draft, check_message
from comptoir.messaging.rendering import TemplateError, date_fr, euros, render_message

pytestmark = pytest.mark.django_db

NNBSP = "\u202f"


@pytest.fixture
def jeanne(db):
    store = Store.objects.create(name="Lyon Part-Dieu", city="Lyon")
    customer = Customer.objects.create(first_name="Jeanne", last_name="Martin", store=store)
    Identity.objects.create(customer=customer, kind="email", value="jeanne.martin@example.fr")
    return customer


def template(body: str, subject: str = "Bonjour {{ first_name }}", kind: str = "transactional"):
    return MessageTemplate(name="Essai", slug="essai", kind=kind, subject=subject, body=body)


def render(body: str, customer: Customer, **kwargs: object):
    return render_message(template=template(body), customer=customer, **kwargs)


HOSTILE = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ customer.__class__ }}",
    "{{ customer.__class__.__init__.__globals__ }}",
    "{{ customer|attr('__class__') }}",
    "{{ config }}",
    "{{ config.SECRET_KEY }}",
    "{{ settings.SECRET_KEY }}",
    "{{ request }}",
    "{{ lipsum }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ namespace }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ range.__self__ }}",
    "{{ customer.objects }}",
    "{{ customer.store.customers }}",
    "{{ event.customer.identities }}",
    "{{ customer.email.__class__.__base__ }}",
    "{{ customer.items() }}",
    "{% set x = customer.update({'first_name': 'pirate'}) %}{{ customer.first_name }}",
    "{{ '%s'|format(customer.__class__) }}",
    "{{ customer.store.__dict__ }}",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_a_hostile_template_reaches_neither_settings_nor_orm_nor_python_internals(jeanne, source):
    event = BusinessEvent.objects.create(
        customer=jeanne,
        kind="order_placed",
        occurred_at=datetime(2026, 11, 26, tzinfo=dt_timezone.utc),
    )
    try:
        rendered = render(f"<p>{source}</p>", jeanne, event=event)
    except TemplateError:
        return  # refused with a message: as good as empty
    leaks = [
        "<class",
        "&lt;class",
        "<function",
        "&lt;function",
        "<built-in",
        "&lt;built-in",
        "<module",
        "&lt;module",
        "Manager",
        "QuerySet",
        "pirate",
        "__",
        settings.SECRET_KEY,
    ]
    assert not [leak for leak in leaks if leak in rendered.html + rendered.text]


@pytest.mark.parametrize(
    "source",
    [
        "{% include '/etc/passwd' %}",
        "{% include '../../../../etc/passwd' %}",
        "{% extends '/etc/passwd' %}",
        "{% import 'settings.py' as s %}",
        '<mjml><mj-body><mj-include path="/etc/passwd" /></mj-body></mjml>',
        '<mjml><mj-body><MJ-INCLUDE path="../settings.py"/></mj-body></mjml>',
    ],
)
def test_a_template_can_include_message_blocks_but_never_a_file(jeanne, source):
    with pytest.raises(TemplateError):
        render(source, jeanne)


def test_a_remote_or_local_stylesheet_is_never_loaded(jeanne):
    source = (
        '<html><head><link rel="stylesheet" href="file:///etc/passwd">'
        '<link rel="stylesheet" href="/etc/passwd"></head><body><p>Bonjour</p></body></html>'
    )
    assert "root:" not in render(source, jeanne).html


def test_a_syntax_error_names_its_line(jeanne):
    with pytest.raises(TemplateError, match=r"^(Line|Ligne) 3 ?: .*"):
        render("<p>Bonjour</p>\n<p>\n{% if first_name %}oui\n</p>", jeanne)
    with pytest.raises(TemplateError, match=r"(Line|Ligne) 1 ?: No filter named 'nope'"):
        render("{{ first_name|nope }}", jeanne)


def test_a_failing_template_or_mjml_is_an_error_for_its_author_not_a_crash(jeanne):
    with pytest.raises(TemplateError, match="ZeroDivisionError"):
        render("{{ 1 / 0 }}", jeanne)
    with pytest.raises(TemplateError, match="MJML"):
        render("<mjml><mj-body><mj-nonsense>x</mj-nonsense></mj-body></mjml>", jeanne)
    with pytest.raises(
        TemplateError, match="No block named “missing”|Aucun bloc nommé « missing »"
    ):
        render("{% include 'missing' %}", jeanne)


def test_a_missing_value_renders_empty(jeanne):
    rendered = render(
        "<p>[{{ event.order.number }}][{{ nothing }}][{{ customer.nope.deeper }}]</p>", jeanne
    )
    assert "[][][]" in rendered.html


def test_customer_values_are_escaped_in_html_but_the_subject_stays_plain_text(jeanne):
    jeanne.first_name = "<b>Jo & Jeanne</b>"
    jeanne.save()
    message = render_message(
        template=template("<p>{{ greeting }}</p>", subject="Pour {{ first_name }}\nBcc: x@y"),
        customer=jeanne,
    )
    assert "&lt;b&gt;Jo &amp; Jeanne&lt;/b&gt;" in message.html
    assert message.subject == "Pour <b>Jo & Jeanne</b> Bcc: x@y"


def test_amounts_and_dates_are_written_the_french_way():
    assert euros(1234.5) == f"1{NNBSP}234,50{NNBSP}€"
    assert euros("1234567") == f"1{NNBSP}234{NNBSP}567,00{NNBSP}€"
    assert euros(0) == f"0,00{NNBSP}€"
    assert euros(-3.456) == f"-3,46{NNBSP}€"
    assert euros(None) == ""
    assert date_fr(date(2026, 11, 26)) == "jeudi 26 novembre 2026"
    assert date_fr("2026-12-01") == "mardi 1er décembre 2026"
    # 23:30 UTC on 26 November is already the 27th in Paris.
    assert (
        date_fr(datetime(2026, 11, 26, 23, 30, tzinfo=dt_timezone.utc))
        == "vendredi 27 novembre 2026"
    )


def test_personalisation_uses_the_first_name_and_falls_back_politely(jeanne):
    nameless = Customer.objects.create()
    body = "<p>{{ greeting }}</p><p>{{ store.name }}</p>"
    subject = "{{ 'votre commande est partie'|with_first_name }}"
    named = render_message(template=template(body, subject), customer=jeanne)
    plain = render_message(template=template(body, subject), customer=nameless)
    assert named.subject == "Jeanne, votre commande est partie"
    assert plain.subject == "Votre commande est partie"
    assert named.text.startswith("Bonjour Jeanne,\n\nLyon Part-Dieu")
    assert plain.text == "Bonjour,"


def test_a_business_event_reaches_the_template_as_plain_values(jeanne):
    event = BusinessEvent.objects.create(
        customer=jeanne,
        kind="order_placed",
        occurred_at=datetime(2026, 11, 26, 9, tzinfo=dt_timezone.utc),
        external_id="100482",
        amount="1234.50",
        data={"delivery_on": "2026-12-01"},
    )
    rendered = render(
        "<p>Commande {{ event.reference }} du {{ event.occurred_at|date_fr }} : "
        "{{ event.amount|euros }}, livrée le {{ event.delivery_on|date_fr }}</p>",
        jeanne,
        event=event,
    )
    assert (
        f"Commande 100482 du jeudi 26 novembre 2026 : 1{NNBSP}234,50{NNBSP}€, "
        "livrée le mardi 1er décembre 2026" in rendered.text
    )


def test_mjml_becomes_responsive_html_with_inlined_css_and_a_text_part(jeanne):
    MessageBlock.objects.create(
        name="reassurance",
        body='<mj-section><mj-column><mj-text><div data-block="reassurance">Service client '
        "au 01 23 45 67 89</div></mj-text></mj-column></mj-section>",
    )
    source = """<mjml><mj-head><mj-style>.lead { color: #123456; }</mj-style></mj-head>
    <mj-body><mj-section><mj-column>
      <mj-text><div data-block="header">Votre magasin {{ store.name }}</div></mj-text>
      <mj-text><p>{{ greeting }}</p><p class="lead">Votre colis arrive demain.</p></mj-text>
      <mj-button href="https://shop.example/suivi">Suivre mon colis</mj-button>
      <mj-text><p>Bien cordialement,<br>Élodie</p></mj-text>
    </mj-column></mj-section>{% include "reassurance" %}</mj-body></mjml>"""

    rendered = render(source, jeanne)

    assert "@media" in rendered.html  # the responsive rules stay in <style>
    # css-inline puts the <mj-style> rules in style attributes, for clients that drop <style>.
    assert re.search(r'class="lead" style="[^"]*color: #123456', rendered.html)
    assert 'data-block="reassurance"' in rendered.html
    assert rendered.text == (
        "Bonjour Jeanne,\n\nVotre colis arrive demain.\n\n"
        "Suivre mon colis (https://shop.example/suivi)\n\nBien cordialement,\nÉlodie\n\n"
        "-- \nService client au 01 23 45 67 89"
    )


def test_a_plain_html_template_needs_no_mjml(jeanne):
    rendered = render(
        "<html><head><style>p { margin: 0 }</style></head><body><p>{{ greeting }}</p></body></html>",
        jeanne,
    )
    assert '<p style="margin: 0;">Bonjour Jeanne,</p>' in rendered.html


def test_the_sign_off_check_stops_at_the_signature_separator():
    text = "Bonjour Jeanne,\n\nVotre colis est parti.\n\nBien cordialement,\nÉlodie\n\n-- \n" + (
        "Nos engagements\n" * 8
    )
    rules = {f.rule for f in check_message(Draft(kind="reply", text=text))}
    assert "missing-sign-off" not in rules
