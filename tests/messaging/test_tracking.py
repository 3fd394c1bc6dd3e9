"""Opens and clicks of templated emails: signed links, a pixel, consent, the timeline."""

import html
import re
from datetime import timedelta

import pytest
from anymail.signals import AnymailTrackingEvent, EventType, tracking
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.consents.links import preference_url
from comptoir.consents.models import Channel, ConsentStatus, Purpose, Source
from comptoir.consents.services import Proof, record_consent
from comptoir.customers.models import Customer, Identity
from comptoir.customers.queries import OUTBOUND, TIMELINE_SOURCES, list_timeline
from comptoir.messaging import dispatch
from comptoir.messaging.models import (
    Delivery,
    MessageKind,
    MessageTemplate,
    TrackingEvent,
    TrackingPolicy,
)
from comptoir.messaging.outgoing import outgoing_for
from comptoir.messaging.rendering import render_message
from comptoir.messaging.sending import Outbound, send_outbound
from comptoir.messaging.services import save_message_template
from comptoir.messaging.tracking import (
    CLICK_SALT,
    click_url,
    instrument_html,
    read_click_token,
)
from comptoir.privacy.audit import SYSTEM
from comptoir.privacy.erasure import erase_customer
from comptoir.teams.models import Team
from tests.routing.conftest import make_agent

pytestmark = pytest.mark.django_db

EMAIL = "jeanne.martin@example.fr"
TARGET = "https://shop.example/commande/100482?suivi=1&source=email"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
BODY = """<p>{{ greeting }}</p>
<p>Votre commande est en route&nbsp;: <a href="https://shop.example/commande/100482?suivi=1&amp;source=email">suivre mon colis</a>.</p>
<p>Une question&nbsp;? <a href="mailto:support@shop.example">écrivez-nous</a> ou <a href="tel:+33123456789">appelez-nous</a>.</p>
<p><a href="{{ unsubscribe_url }}">Se désabonner</a> · <a href="https://shop.example/newsletter/stop">Se désinscrire de la lettre</a> · <a href="#haut">haut de page</a> · <a name="bas">fin</a></p>
<p>Bien cordialement,</p>"""


@pytest.fixture
def jeanne() -> Customer:
    customer = Customer.objects.create(first_name="Jeanne", last_name="Martin", language="fr")
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=EMAIL)
    return customer


@pytest.fixture
def template() -> MessageTemplate:
    return save_message_template(
        template=MessageTemplate(slug="shipping"),
        subject="{{ first_name }}, votre colis est en route",
        body=BODY,
        author=None,
        name="Colis expédié",
        kind=MessageKind.TRANSACTIONAL,
    )


def state_profiling(customer: Customer, status: str) -> None:
    record_consent(
        customer=customer,
        purpose=Purpose.PROFILING,
        channel=Channel.ANY,
        status=status,
        proof=Proof(source=Source.PREFERENCE_CENTRE),
    )


def delivered(customer: Customer, template: MessageTemplate, **fields: object) -> Delivery:
    """A delivery of the template sent an hour ago (scanners come within seconds)."""
    values = {
        "status": Delivery.Status.SENT,
        "sent_at": timezone.now() - timedelta(hours=1),
        "dedupe_key": f"test:{Delivery.objects.count()}",
        **fields,
    }
    return Delivery.objects.create(
        customer=customer,
        template=template,
        template_version=template.live_version,
        recipient=EMAIL,
        purpose=template.purpose,
        **values,
    )


def hrefs(html_part: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a\b[^>]*\bhref="([^"]*)"', html_part)]


def path_of(url: str) -> str:
    return url.removeprefix("http://localhost:8000")


def tracked_link(delivery: Delivery, url: str = TARGET) -> str:
    return path_of(click_url(delivery.pk, url))


def pixel_src(html_part: str) -> str:
    found = re.findall(r'<img src="([^"]*/t/o/[^"]*)"', html_part)
    return path_of(html.unescape(found[0])) if found else ""


# --- Instrumenting the HTML ------------------------------------------------------------------


def test_web_links_go_through_the_signed_redirect_and_the_way_out_stays_direct(jeanne, template):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    delivery = delivered(jeanne, template)

    links = hrefs(outgoing_for(delivery).html)

    tracked = [read_click_token(link.rpartition("/t/c/")[2].rstrip("/")) for link in links[:1]]
    assert tracked[0] is not None and (tracked[0].delivery_id, tracked[0].url) == (
        delivery.pk,
        TARGET,
    )
    assert links[0].startswith("http://localhost:8000/t/c/")
    assert links[1:] == [
        "mailto:support@shop.example",
        "tel:+33123456789",
        preference_url(jeanne),  # one-click unsubscribe and the preference centre
        "https://shop.example/newsletter/stop",  # a way out on the company's own site
        "#haut",
    ]


def test_the_pixel_goes_at_the_end_of_the_body_and_the_text_part_keeps_direct_links(
    jeanne, template
):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    outgoing = outgoing_for(delivered(jeanne, template))

    assert pixel_src(outgoing.html).startswith("/t/o/")
    assert re.search(r'<img src="[^"]*/t/o/[^"]*"[^>]*alt=""[^>]*/>\s*</body>', outgoing.html)
    assert f"({TARGET})" in outgoing.text
    assert "/t/c/" not in outgoing.text and "/t/o/" not in outgoing.text


def test_only_the_href_of_an_anchor_is_rewritten(jeanne, template):
    delivery = delivered(jeanne, template)
    source = (
        '<html><body><a data-href="https://shop.example/a" title="x" '
        'href="https://shop.example/b">b</a><img src="https://shop.example/logo.png" alt="">'
        "</body></html>"
    )
    instrumented = instrument_html(source, delivery)
    assert 'data-href="https://shop.example/a"' in instrumented
    assert 'src="https://shop.example/logo.png"' in instrumented
    assert read_click_token(hrefs(instrumented)[0].split("/")[-2]).url == "https://shop.example/b"


def test_instrumenting_twice_leaves_our_own_links_alone(jeanne, template):
    delivery = delivered(jeanne, template)
    once = instrument_html(outgoing_for(delivery).html, delivery)
    assert instrument_html(once, delivery) == once


def test_a_switched_off_policy_leaves_the_html_untouched(jeanne, template, settings):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    delivery = delivered(jeanne, template)
    rendered = render_message(template=template, customer=jeanne)

    TrackingPolicy.objects.create(open_tracking=False, click_tracking=False)
    assert outgoing_for(delivery).html == rendered.html

    TrackingPolicy.objects.all().delete()
    settings.COMPTOIR_TRACKING = False  # no row: the environment's default decides
    assert outgoing_for(delivery).html == rendered.html


def test_clicks_can_be_tracked_without_opens(jeanne, template):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    TrackingPolicy.objects.create(open_tracking=False, click_tracking=True)
    outgoing = outgoing_for(delivered(jeanne, template))
    assert "/t/c/" in outgoing.html and pixel_src(outgoing.html) == ""


def test_no_pixel_without_profiling_consent_and_nothing_tracked_after_an_objection(
    jeanne, template
):
    no_statement = outgoing_for(delivered(jeanne, template)).html
    assert pixel_src(no_statement) == "", "an open is measured only with prior consent"
    assert "/t/c/" in no_statement, "clicks rest on legitimate interest until an objection"

    state_profiling(jeanne, ConsentStatus.WITHDRAWN)
    objected = outgoing_for(delivered(jeanne, template)).html
    assert pixel_src(objected) == "" and "/t/c/" not in objected


# --- The redirect ----------------------------------------------------------------------------


def test_a_click_goes_to_the_signed_target_and_is_recorded_once_per_link(client, jeanne, template):
    delivery = delivered(jeanne, template)

    response = client.get(tracked_link(delivery), headers={"User-Agent": IPHONE})
    again = client.get(tracked_link(delivery), headers={"User-Agent": IPHONE})

    assert response.status_code == again.status_code == 302
    assert response["Location"] == TARGET
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    event = TrackingEvent.objects.get(delivery=delivery)
    assert (event.kind, event.url, event.count, event.automated) == ("click", TARGET, 2, False)
    assert event.user_agent == IPHONE
    delivery.refresh_from_db()
    assert delivery.clicked_at == event.at
    assert delivery.opened_at == event.at, "a click proves the message was opened"


def test_the_first_click_stamp_stays_when_another_link_is_clicked(client, jeanne, template):
    delivery = delivered(jeanne, template)
    client.get(tracked_link(delivery), headers={"User-Agent": IPHONE})
    delivery.refresh_from_db()
    first = delivery.clicked_at

    client.get(tracked_link(delivery, "https://shop.example/aide"), headers={"User-Agent": IPHONE})

    delivery.refresh_from_db()
    assert delivery.clicked_at == first
    assert TrackingEvent.objects.filter(delivery=delivery).count() == 2


@pytest.mark.parametrize(
    "alteration",
    [
        "payload",  # another target in the token, the signature left as it was
        "signature",
        "other salt",  # a valid token of another kind (the preference centre's salt)
        "javascript",  # even signed, a target that is not a web page
    ],
)
def test_an_altered_token_never_redirects(client, jeanne, template, alteration):
    delivery = delivered(jeanne, template)
    token = tracked_link(delivery).split("/")[3]
    payload, _, signature = token.rpartition(":")
    evil = signing.Signer(salt=CLICK_SALT).sign_object([delivery.pk, "https://evil.example/"])
    altered = {
        "payload": evil.rpartition(":")[0] + ":" + signature,
        "signature": payload + ":" + signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB"),
        "other salt": signing.Signer(salt="comptoir.consents.link").sign_object(
            [delivery.pk, "https://evil.example/"]
        ),
        "javascript": signing.Signer(salt=CLICK_SALT).sign_object(
            [delivery.pk, "javascript:alert(1)"]
        ),
    }[alteration]

    response = client.get(reverse("messaging:tracked_click", args=[altered]))

    assert response.status_code == 404
    assert not response.has_header("Location")
    assert not TrackingEvent.objects.exists()


@pytest.mark.parametrize("parameter", ["next", "url", "u"])
def test_a_target_added_to_a_valid_link_is_refused(client, jeanne, template, parameter):
    delivery = delivered(jeanne, template)
    response = client.get(tracked_link(delivery), {parameter: "https://evil.example/"})
    assert response.status_code == 400
    assert not response.has_header("Location")
    assert not TrackingEvent.objects.exists()


def test_a_click_still_leads_to_the_target_when_its_delivery_is_gone(client, jeanne, template):
    delivery = delivered(jeanne, template)
    link = tracked_link(delivery)
    delivery.delete()
    response = client.get(link, headers={"User-Agent": IPHONE})
    assert (response.status_code, response["Location"]) == (302, TARGET)


def test_an_outsider_follows_a_tracked_link_like_anyone_else(client, jeanne, template):
    outsider = make_agent("olivier", teams=[Team.objects.create(name="N1", is_outsourced=True)])
    client.force_login(outsider)
    delivery = delivered(jeanne, template)

    response = client.get(tracked_link(delivery), headers={"User-Agent": IPHONE})

    assert (response.status_code, response["Location"]) == (302, TARGET)
    assert client.get(reverse("customers:detail", args=[jeanne.pk])).status_code == 403


# --- The open pixel ----------------------------------------------------------------------


def test_the_open_pixel_is_an_uncached_gif_and_records_the_first_open(client, jeanne, template):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    delivery = delivered(jeanne, template)
    pixel = pixel_src(outgoing_for(delivery).html)

    first = client.get(pixel, headers={"User-Agent": IPHONE})
    second = client.get(pixel, headers={"User-Agent": IPHONE})

    assert first.status_code == 200
    assert first["Content-Type"] == "image/gif"
    assert first.content.startswith(b"GIF89a") and len(first.content) < 100
    assert {"no-cache", "no-store", "max-age=0"} <= set(
        part.strip() for part in first["Cache-Control"].split(",")
    )
    assert second.status_code == 200
    event = TrackingEvent.objects.get(delivery=delivery, kind="open")
    assert event.count == 2 and event.at < event.last_at
    delivery.refresh_from_db()
    assert delivery.opened_at == event.at and delivery.clicked_at is None


def test_an_altered_pixel_token_still_shows_an_image_but_records_nothing(client, jeanne, template):
    delivered(jeanne, template)
    response = client.get(reverse("messaging:open_pixel", args=["1:altered"]))
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert not TrackingEvent.objects.exists()


def test_a_withdrawal_applies_to_emails_already_sent(client, jeanne, template):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    delivery = delivered(jeanne, template)
    pixel = pixel_src(outgoing_for(delivery).html)
    state_profiling(jeanne, ConsentStatus.WITHDRAWN)

    client.get(pixel, headers={"User-Agent": IPHONE})
    click = client.get(tracked_link(delivery), headers={"User-Agent": IPHONE})

    assert click.status_code == 302, "the link still works"
    assert not TrackingEvent.objects.exists()
    delivery.refresh_from_db()
    assert delivery.opened_at is None and delivery.clicked_at is None


def test_switching_tracking_off_stops_recording_hits_of_emails_already_sent(
    client, jeanne, template
):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    delivery = delivered(jeanne, template)
    pixel = pixel_src(outgoing_for(delivery).html)
    TrackingPolicy.objects.create(open_tracking=False, click_tracking=False)

    client.get(pixel, headers={"User-Agent": IPHONE})
    assert client.get(tracked_link(delivery), headers={"User-Agent": IPHONE}).status_code == 302
    assert not TrackingEvent.objects.exists()


# --- Machines -----------------------------------------------------------------------------


def test_prefetches_and_scanners_are_kept_apart_and_stamp_nothing(client, jeanne, template):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    delivery = delivered(jeanne, template)
    pixel = pixel_src(outgoing_for(delivery).html)
    just_sent = delivered(jeanne, template, sent_at=timezone.now() - timedelta(seconds=2))

    client.get(pixel, headers={"User-Agent": "Mozilla/5.0"})  # Apple Mail Privacy Protection
    client.head(tracked_link(delivery), headers={"User-Agent": IPHONE})  # a gateway's HEAD
    client.get(tracked_link(delivery), headers={"User-Agent": "Barracuda Sentinel (EE)"})
    scanned = client.get(tracked_link(just_sent), headers={"User-Agent": IPHONE})

    assert scanned.status_code == 302, "a scanner still gets the redirect"
    assert set(TrackingEvent.objects.values_list("automated", flat=True)) == {True}
    assert not Delivery.objects.filter(opened_at__isnull=False).exists()
    assert not Delivery.objects.filter(clicked_at__isnull=False).exists()
    assert [e.kind for e in list_timeline(jeanne, OUTBOUND).entries if "tracking" in e.kind] == []


def test_gmails_image_proxy_is_a_real_open(client, jeanne, template):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    delivery = delivered(jeanne, template)
    gmail = (
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
    )
    client.get(pixel_src(outgoing_for(delivery).html), headers={"User-Agent": gmail})
    delivery.refresh_from_db()
    assert delivery.opened_at is not None


# --- A provider's webhooks ---------------------------------------------------------------


def provider_event(event_type: str, message_id: str, **fields: object) -> None:
    """Send the signal as anymail's webhook views do."""
    event = AnymailTrackingEvent(
        event_type=event_type,
        timestamp=timezone.now(),
        message_id=message_id,
        recipient=EMAIL,
        user_agent=IPHONE,
        **fields,
    )
    tracking.send(sender=object, event=event, esp_name="Brevo")


def test_a_providers_opens_and_clicks_feed_the_same_records(jeanne, template):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    delivery = delivered(
        jeanne, template, provider_message_id="<202611260500.42@smtp-relay.brevo.com>"
    )

    provider_event(EventType.OPENED, delivery.provider_message_id)
    provider_event(EventType.CLICKED, delivery.provider_message_id, click_url=TARGET)
    provider_event(EventType.BOUNCED, delivery.provider_message_id)  # not ours to handle
    provider_event(EventType.OPENED, "<unknown@brevo.com>")

    events = TrackingEvent.objects.order_by("kind")
    assert [(e.kind, e.url, e.provider) for e in events] == [
        ("click", TARGET, "Brevo"),
        ("open", "", "Brevo"),
    ]
    delivery.refresh_from_db()
    assert delivery.opened_at is not None and delivery.clicked_at is not None


def test_a_providers_open_follows_the_same_consent_rules(jeanne, template):
    delivered(jeanne, template, provider_message_id="msg-1")
    provider_event(EventType.OPENED, "msg-1")
    assert not TrackingEvent.objects.exists(), "no profiling consent: no open recorded"


# --- The customer's timeline -------------------------------------------------------------


def test_the_timeline_shows_sends_opens_and_clicks(client, jeanne, template):
    state_profiling(jeanne, ConsentStatus.GRANTED)
    sent = delivered(jeanne, template)
    delivered(
        jeanne,
        template,
        status=Delivery.Status.REFUSED,
        refusal_reason="suppressed_hard_bounce",
        sent_at=None,
    )
    client.get(pixel_src(outgoing_for(sent).html), headers={"User-Agent": IPHONE})
    client.get(tracked_link(sent), headers={"User-Agent": IPHONE})

    with translation.override("fr"):
        entries = list_timeline(jeanne, OUTBOUND).entries
        titles = [(entry.label, entry.title, entry.text) for entry in entries]

    subject = "E-mail «\u00a0Jeanne, votre colis est en route\u00a0»"
    assert titles == [
        ("E-mail · suivi", f"{subject}\u00a0: cliqué sur shop.example/commande/100482", TARGET),
        ("E-mail · suivi", f"{subject} ouvert", ""),
        ("E-mail · envoi", f"{subject} non envoyé", "Adresse en échec définitif"),
        ("E-mail · envoi", f"{subject} envoyé", ""),
    ]
    assert [entry.kind for entry in list_timeline(jeanne, "email").entries] == [
        entry.kind for entry in entries
    ], "the email filter shows them too"
    assert list_timeline(jeanne, "sms").entries == []


def test_the_360_page_shows_the_sends(client, agent, jeanne, template):
    delivered(jeanne, template)
    client.force_login(agent)
    with translation.override("fr"):
        page = client.get(
            reverse("customers:detail", args=[jeanne.pk]), headers={"Accept-Language": "fr"}
        )
    assert page.status_code == 200
    assert "votre colis est en route" in page.content.decode()


def test_the_timeline_costs_the_same_queries_however_many_sends_and_hits(client, jeanne, template):
    def timeline_queries() -> int:
        customer = (
            Customer.objects.select_related("store")
            .prefetch_related("identities")
            .get(pk=jeanne.pk)
        )
        with CaptureQueriesContext(connection) as queries:
            list_timeline(customer)
        return len(queries)

    delivery = delivered(jeanne, template)
    client.get(tracked_link(delivery), headers={"User-Agent": IPHONE})
    few = timeline_queries()
    for number in range(10):
        more = delivered(jeanne, template)
        client.get(
            tracked_link(more, f"https://shop.example/{number}"), headers={"User-Agent": IPHONE}
        )
    assert timeline_queries() == few == len(TIMELINE_SOURCES)


# --- A real send -------------------------------------------------------------------------


def test_a_real_send_reaches_the_smtp_server_with_tracked_links(
    client, smtp_sink, jeanne, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    offer = save_message_template(
        template=MessageTemplate(slug="offer"),
        subject="{{ first_name }}, votre colis est en route",
        body=BODY,
        author=None,
        name="Offre",
        kind=MessageKind.MARKETING,
    )
    for purpose in (Purpose.MARKETING, Purpose.PROFILING):
        record_consent(
            customer=jeanne,
            purpose=purpose,
            channel=Channel.EMAIL,
            status=ConsentStatus.GRANTED,
            proof=Proof(source=Source.FORM),
        )
    delivery = send_outbound(Outbound(template=offer, customer=jeanne, dedupe_key="offer"))

    assert dispatch.send_delivery(delivery.pk) == Delivery.Status.SENT

    message = smtp_sink.received[0].message
    html_part = message.get_body(("html",)).get_content()
    text_part = message.get_body(("plain",)).get_content()
    links = hrefs(html_part)
    assert TARGET not in links and links[0].startswith("http://localhost:8000/t/c/")
    assert preference_url(jeanne) in links, "unsubscribe stays one click away"
    assert message["List-Unsubscribe"].strip().startswith("<http://localhost:8000/u/")
    assert TARGET in text_part

    # The customer reads it a minute later (a hit within seconds looks like a scanner).
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now() - timedelta(minutes=1))
    followed = client.get(path_of(links[0]), headers={"User-Agent": IPHONE})
    assert (followed.status_code, followed["Location"]) == (302, TARGET)
    assert client.get(pixel_src(html_part), headers={"User-Agent": IPHONE}).status_code == 200
    delivery.refresh_from_db()
    assert delivery.opened_at is not None and delivery.clicked_at is not None


def test_erasing_the_customer_forgets_the_hits_but_keeps_the_first_open(client, jeanne, template):
    delivery = delivered(jeanne, template)
    client.get(tracked_link(delivery), headers={"User-Agent": IPHONE})

    erase_customer(customer=jeanne, actor=SYSTEM)

    assert not TrackingEvent.objects.exists()
    delivery.refresh_from_db()
    assert delivery.clicked_at is not None
