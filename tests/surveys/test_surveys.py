"""Satisfaction surveys: planned on resolution, sent once by the sweep, answered from a signed
link through the real page (CSRF enforced); an unhappy answer reopens and alerts the lead."""

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from comptoir.conversations import services
from comptoir.conversations.models import Conversation, ConversationEvent, Message
from comptoir.customers.models import Customer
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.messaging.models import Delivery
from comptoir.surveys import links
from comptoir.surveys.models import SatisfactionSurvey
from tests.conftest import make_email
from tests.surveys.conftest import sent_survey_email, survey_links

pytestmark = pytest.mark.django_db
Kind = ConversationEvent.Kind
Status = SatisfactionSurvey.Status
Skip = SatisfactionSurvey.SkipReason


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def post_with_csrf(client: Client, url: str, data: dict[str, object]):
    """Open the page first, as a browser does, then post its form with the cookie's token."""
    assert client.get(url).status_code == 200
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def answered_survey_url(desk, conversation) -> tuple[SatisfactionSurvey, str]:
    survey = desk.resolve(conversation)
    desk.sweep()
    survey.refresh_from_db()
    return survey, path_of(links.survey_url(survey))


# --- Planning and sending -------------------------------------------------------------


def test_resolution_plans_a_survey_that_the_sweep_sends_once(desk, conversation, agent):
    survey = desk.resolve(conversation)
    conversation.refresh_from_db()
    assert survey is not None
    assert survey.status == Status.SCHEDULED
    assert (survey.customer, survey.team, survey.agent) == (
        conversation.customer,
        conversation.team,
        agent,
    )
    assert survey.resolved_at == conversation.resolved_at
    assert survey.send_after == conversation.resolved_at + timedelta(minutes=60)

    assert desk.sweep(later=timedelta(minutes=30)) == 0  # not yet
    assert not mail.outbox

    desk.sweep()
    desk.sweep()  # a second run, or a duplicated task, sends nothing more
    survey.refresh_from_db()
    assert survey.status == Status.SENT and survey.sent_at is not None
    email = sent_survey_email()
    assert email.to == ["paul@example.fr"]
    assert f"[#{conversation.pk}]" in email.subject
    assert email.extra_headers["Auto-Submitted"] == "auto-replied"
    assert email.extra_headers["Reply-To"].endswith(">")  # the conversation's reply address
    assert email.body.startswith("Bonjour Paul,")
    labels = list(survey_links(email.body))
    assert labels == [
        "Très satisfait",
        "Satisfait",
        "Moyennement satisfait",
        "Peu satisfait",
        "Pas du tout satisfait",
    ]
    assert "valable 30 jours" in email.body
    outbound = conversation.messages.filter(direction=Message.Direction.OUTBOUND)
    assert list(outbound) == [survey.message]
    assert Delivery.objects.filter(message=survey.message).count() == 1
    # Sending a survey is not a change of the conversation: it stays resolved.
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED


def test_no_survey_when_the_customer_reopens_before_the_delay(desk, conversation):
    survey = desk.resolve(conversation)
    services.add_inbound_message(
        conversation=conversation,
        text="En fait non, toujours abîmé.",
        from_address="paul@example.fr",
    )
    desk.sweep()
    survey.refresh_from_db()
    assert (survey.status, survey.skip_reason, survey.sent_at) == (
        Status.SKIPPED,
        Skip.REOPENED,
        None,
    )
    assert not mail.outbox


def test_resolved_again_after_a_reopening_gets_its_own_survey(desk, conversation, agent):
    first = desk.resolve(conversation)
    services.change_status(conversation=conversation, status="open", by=agent)
    second = desk.resolve(conversation)
    assert first != second
    desk.sweep()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.SKIPPED, Status.SENT)
    sent_survey_email()


def test_one_survey_per_resolution_is_enforced_by_the_database(desk, conversation):
    survey = desk.resolve(conversation)
    with pytest.raises(IntegrityError), transaction.atomic():
        SatisfactionSurvey.objects.create(
            conversation=conversation,
            customer=conversation.customer,
            resolved_at=survey.resolved_at,
            send_after=survey.send_after,
        )


def test_no_survey_when_the_last_email_was_automatic(desk, agent):
    raw = make_email(headers={"Auto-Submitted": "auto-replied"}, subject="Absence du bureau")
    message = process_inbound_email(receive_raw_email(raw, source="test").inbound.pk)
    survey = desk.resolve(message.conversation)
    desk.sweep()
    survey.refresh_from_db()
    assert (survey.status, survey.skip_reason) == (Status.SKIPPED, Skip.AUTO_SUBMITTED)
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


def test_no_survey_for_a_customer_without_email(desk):
    customer = Customer.objects.create(first_name="Louise")
    conversation = services.open_conversation(
        customer=customer, subject="Appel", channel=Conversation.Channel.PHONE
    )
    survey = desk.resolve(conversation)
    desk.sweep()
    survey.refresh_from_db()
    assert (survey.status, survey.skip_reason) == (Status.SKIPPED, Skip.NO_EMAIL)


def test_a_customer_surveyed_recently_is_not_asked_again(desk, conversation):
    desk.resolve(conversation)
    desk.sweep()
    other = services.open_conversation(customer=conversation.customer, subject="Autre question")
    second = desk.resolve(other)
    desk.sweep(later=timedelta(days=3))
    second.refresh_from_db()
    assert (second.status, second.skip_reason) == (Status.SKIPPED, Skip.RECENTLY_SURVEYED)
    sent_survey_email()


def test_surveys_turned_off_plan_nothing_and_send_nothing(desk, conversation, settings):
    survey = desk.resolve(conversation)
    settings.COMPTOIR_SURVEYS_ENABLED = False
    desk.sweep()
    survey.refresh_from_db()
    assert (survey.status, survey.skip_reason) == (Status.SKIPPED, Skip.DISABLED)
    other = services.open_conversation(customer=conversation.customer, subject="Autre")
    assert desk.resolve(other) is None
    assert not mail.outbox


# --- The signed link --------------------------------------------------------------------


def test_an_altered_or_foreign_link_finds_nothing(desk, conversation, client):
    survey, url = answered_survey_url(desk, conversation)
    token = links.survey_token(survey)
    other_id = signing.TimestampSigner(salt=links.SALT).sign(str(survey.pk + 1))
    preference_token = signing.Signer(salt="comptoir.consents.link").sign(str(survey.pk))
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), other_id, preference_token):
        response = client.get(reverse("surveys:answer", args=[bad]) + "?note=5")
        assert response.status_code == 404, bad
        response = client.post(reverse("surveys:answer", args=[bad]), {"rating": 5})
        assert response.status_code == 404, bad
    survey.refresh_from_db()
    assert survey.answered_at is None


class MonthOldSigner(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 31 * 24 * 3600)


def test_an_expired_link_says_so_and_records_nothing(desk, conversation, client):
    survey, _ = answered_survey_url(desk, conversation)
    old_token = MonthOldSigner(salt=links.SALT).sign(str(survey.pk))
    url = reverse("surveys:answer", args=[old_token])
    response = client.get(url + "?note=1")
    assert response.status_code == 410
    assert "Ce lien a expiré" in response.content.decode()
    assert client.post(url, {"rating": 1}).status_code == 410
    survey.refresh_from_db()
    assert survey.answered_at is None


# --- Answering through the page -------------------------------------------------------


def test_opening_every_link_of_the_email_records_nothing(desk, conversation):
    desk.resolve(conversation)
    desk.sweep()
    client = csrf_client()
    for label, url in survey_links(sent_survey_email().body).items():
        response = client.get(path_of(url))
        assert response.status_code == 200, label
        page = response.content.decode()
        rating = url.rsplit("=", 1)[1]
        assert f'value="{rating}" id="id_rating_' in page
        assert f'value="{rating}" id="id_rating_{5 - int(rating)}" required checked' in page
    survey = conversation.satisfaction_surveys.get()
    assert survey.answered_at is None
    assert not conversation.events.filter(kind=Kind.SATISFACTION_RATED).exists()


def test_customer_rates_and_comments_through_the_page_with_csrf(desk, conversation):
    desk.resolve(conversation)
    desk.sweep()
    url = path_of(survey_links(sent_survey_email().body)["Satisfait"])
    client = csrf_client()

    assert client.post(url, {"rating": 4}).status_code == 403  # no token, no answer
    response = post_with_csrf(client, url, {"rating": 4, "comment": "Rapide et aimable."})
    assert response.status_code == 302
    survey = conversation.satisfaction_surveys.get()
    assert (survey.rating, survey.comment) == (4, "Rapide et aimable.")
    assert survey.answered_at is not None
    event = conversation.events.get(kind=Kind.SATISFACTION_RATED)
    assert event.data == {"rating": 4, "satisfied": True}
    assert event.actor is None

    thanks = client.get(response["Location"]).content.decode()
    assert "Merci !" in thanks and "Votre réponse : Satisfait." in thanks
    # The rating stays as first given; the comment can still be changed.
    post_with_csrf(client, url, {"rating": 1, "comment": "Très aimable, vraiment."})
    survey.refresh_from_db()
    assert (survey.rating, survey.comment) == (4, "Très aimable, vraiment.")
    assert conversation.events.filter(kind=Kind.SATISFACTION_RATED).count() == 1
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED


def test_a_rating_outside_the_scale_is_refused(desk, conversation):
    _, url = answered_survey_url(desk, conversation)
    client = csrf_client()
    for rating in ("0", "6", "abc", ""):
        assert post_with_csrf(client, url, {"rating": rating}).status_code == 400
    assert conversation.satisfaction_surveys.get().answered_at is None


def test_an_unhappy_answer_reopens_the_conversation_and_alerts_the_lead(
    desk, conversation, team_with_lead, django_capture_on_commit_callbacks
):
    _, url = answered_survey_url(desk, conversation)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_with_csrf(csrf_client(), url, {"rating": 2, "comment": "Toujours pas remboursé."})

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.resolved_at is None
    assert conversation.sla_paused_at is None  # the SLA clock runs again
    assert conversation.needs_attention
    assert conversation.attention_reason == (
        "Client mécontent : note de 2/5 à l'enquête de satisfaction"
    )
    rated = conversation.events.get(kind=Kind.SATISFACTION_RATED)
    assert rated.data == {"rating": 2, "satisfied": False}
    reopened = conversation.events.filter(kind=Kind.REOPENED).get()
    assert reopened.data == {"from": "resolved", "to": "open"}

    [alert] = mail.outbox
    assert alert.to == ["dominique@shop.example"]  # the lead, not every member
    assert alert.subject.startswith(f"Client mécontent : [#{conversation.pk}]")
    assert "2/5 (Peu satisfait)" in alert.body
    assert "Toujours pas remboursé." in alert.body
    assert f"/conversations/{conversation.pk}/" in alert.body
    desk.sweep()
    assert len(mail.outbox) == 1  # alerted once


def test_a_happy_answer_leaves_the_conversation_resolved_and_nobody_alerted(
    desk, conversation, team_with_lead, django_capture_on_commit_callbacks
):
    _, url = answered_survey_url(desk, conversation)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_with_csrf(csrf_client(), url, {"rating": 3})
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED
    assert not conversation.needs_attention
    assert conversation.events.get(kind=Kind.SATISFACTION_RATED).data == {
        "rating": 3,
        "satisfied": False,
    }
    assert not mail.outbox


# --- What agents see ----------------------------------------------------------------------


def test_the_rating_and_comment_show_on_the_conversation_and_the_timeline(
    desk, conversation, client, agent
):
    _, url = answered_survey_url(desk, conversation)
    post_with_csrf(csrf_client(), url, {"rating": 5, "comment": "Parfait, merci !"})
    client.force_login(agent)
    page = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    assert "5/5 · Très satisfait" in page
    assert "Parfait, merci !" in page
    customer_page = client.get(
        reverse("customers:detail", args=[conversation.customer.pk])
    ).content.decode()
    assert "Très satisfait" in customer_page and "Parfait, merci !" in customer_page


def test_a_planned_survey_shows_on_the_conversation_page(desk, conversation, client, agent):
    desk.resolve(conversation)
    client.force_login(agent)
    page = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    assert "Enquête à envoyer après" in page
