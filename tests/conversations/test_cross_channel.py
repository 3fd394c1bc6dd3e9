"""Cross-channel follow-up: calls, letters and faxes logged by agents, and call-backs."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comptoir.conversations import services
from comptoir.conversations.models import CallbackRequest, Conversation, Message
from comptoir.customers.models import Identity
from comptoir.customers.queries import list_timeline
from comptoir.messaging.models import Delivery
from tests.conversations.test_views import make_conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


def log_call(conversation: Conversation, agent, **fields) -> Message:
    return services.log_contact(
        conversation=conversation,
        agent=agent,
        channel=fields.get("channel", Conversation.Channel.PHONE),
        direction=fields.get("direction", Message.Direction.OUTBOUND),
        summary=fields.get("summary", "Appelé la cliente : le colis sera renvoyé demain."),
        occurred_at=fields.get("occurred_at"),
    )


# --- Logging a contact ------------------------------------------------------------------


def test_logging_a_call_adds_a_phone_message_and_sends_nothing(agent):
    conversation = make_conversation()

    message = log_call(conversation, agent)

    assert message.channel == Conversation.Channel.PHONE
    assert message.direction == Message.Direction.OUTBOUND
    assert message.author == agent
    assert message.message_id == ""
    assert not Delivery.objects.exists()


def test_a_logged_call_counts_as_the_first_response(agent):
    conversation = make_conversation()
    assert conversation.sla_due_at == conversation.first_response_due_at
    called_at = timezone.now() - timedelta(minutes=5)

    log_call(conversation, agent, occurred_at=called_at)

    conversation.refresh_from_db()
    assert conversation.first_response_at == called_at
    assert conversation.sla_due_at == conversation.resolution_due_at
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.assignee == agent


def test_a_letter_from_the_customer_is_not_a_response(agent):
    conversation = make_conversation(status=Conversation.Status.WAITING)

    log_call(
        conversation,
        agent,
        channel=Conversation.Channel.LETTER,
        direction=Message.Direction.INBOUND,
        summary="Courrier reçu avec la facture.",
    )

    conversation.refresh_from_db()
    assert conversation.first_response_at is None
    assert conversation.status == Conversation.Status.OPEN  # reopened, as by an email


def test_only_phone_letter_and_fax_can_be_logged(agent):
    conversation = make_conversation()
    with pytest.raises(services.ConversationError):
        log_call(conversation, agent, channel=Conversation.Channel.EMAIL)
    with pytest.raises(services.ConversationError):
        log_call(conversation, agent, direction=Message.Direction.INTERNAL)
    with pytest.raises(services.ConversationError):
        log_call(conversation, agent, summary="  ")
    assert conversation.messages.count() == 1


def test_logged_contacts_appear_in_the_customer_timeline_with_their_channel(agent):
    conversation = make_conversation()
    log_call(conversation, agent)
    log_call(conversation, agent, channel=Conversation.Channel.FAX, summary="Fax du bon.")

    everything = list_timeline(conversation.customer).entries
    calls = list_timeline(conversation.customer, channel=Conversation.Channel.PHONE).entries

    assert {entry.channel for entry in everything} == {"email", "phone", "fax"}
    assert [entry.text for entry in calls] == [
        "Appelé la cliente : le colis sera renvoyé demain."
    ]


def test_after_a_logged_call_an_email_reply_still_threads(agent):
    conversation = make_conversation()
    inbound = conversation.messages.get()
    Message.objects.filter(pk=inbound.pk).update(message_id="first@example.fr")
    log_call(conversation, agent, direction=Message.Direction.INBOUND)

    reply = services.reply_to_conversation(
        conversation=conversation, agent=agent, text="Comme convenu au téléphone…"
    )

    assert reply.channel == Conversation.Channel.EMAIL
    assert reply.to == ["paul@example.fr"]
    assert reply.in_reply_to == "first@example.fr"
    assert reply.references == ["first@example.fr"]
    assert Delivery.objects.filter(message=reply).count() == 1


def test_conversation_page_logs_a_contact_and_shows_it_in_the_thread(agent_client):
    conversation = make_conversation()
    url = reverse("conversations:log_contact", args=[conversation.pk])

    response = agent_client.post(
        url, {"channel": "phone", "direction": "inbound", "summary": "Appel de Paul."}
    )

    assert response.status_code == 302
    page = agent_client.get(reverse("conversations:detail", args=[conversation.pk]))
    content = page.content.decode()
    assert "Appel de Paul." in content
    assert "entry-channel-phone" in content
    assert not Delivery.objects.exists()


def test_an_empty_summary_is_refused_on_the_page(agent_client):
    conversation = make_conversation()
    response = agent_client.post(
        reverse("conversations:log_contact", args=[conversation.pk]),
        {"channel": "phone", "direction": "outbound", "summary": ""},
    )
    assert response.status_code == 400
    assert conversation.messages.count() == 1


# --- Call-backs -------------------------------------------------------------------------


def test_call_back_request_normalises_the_phone_number(agent):
    conversation = make_conversation()
    due = timezone.now() + timedelta(hours=2)

    callback = services.request_callback(
        conversation=conversation, agent=agent, phone_number="06 12 34 56 78", due_at=due
    )

    assert callback.phone_number == "+33612345678"
    assert callback.status == CallbackRequest.Status.OPEN
    assert callback.requested_by == agent


def test_call_back_request_refuses_an_invalid_number(agent_client):
    conversation = make_conversation()
    with pytest.raises(services.ConversationError):
        services.request_callback(
            conversation=conversation,
            agent=None,
            phone_number="12",
            due_at=timezone.now(),
        )
    response = agent_client.post(
        reverse("conversations:request_callback", args=[conversation.pk]),
        {"phone_number": "pas un numéro", "due_at": "2026-11-30T10:00"},
    )
    assert response.status_code == 400
    assert not CallbackRequest.objects.exists()


def test_the_call_back_form_is_prefilled_with_the_customer_phone(agent_client):
    conversation = make_conversation()
    Identity.objects.create(
        customer=conversation.customer, kind=Identity.Kind.PHONE, value="+33612345678"
    )
    page = agent_client.get(reverse("conversations:detail", args=[conversation.pk]))
    assert 'value="+33612345678"' in page.content.decode()


def test_call_backs_are_listed_by_due_time_and_done_removes_them(agent_client, agent):
    conversation = make_conversation()
    now = timezone.now()
    for hours, number in [(3, "0612345678"), (-1, "0698765432"), (1, "0145678901")]:
        agent_client.post(
            reverse("conversations:request_callback", args=[conversation.pk]),
            {
                "phone_number": number,
                "due_at": timezone.localtime(now + timedelta(hours=hours)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
            },
        )
    assert CallbackRequest.objects.count() == 3

    page = agent_client.get(reverse("conversations:callbacks")).content.decode()
    positions = [page.index(n) for n in ("+33698765432", "+33145678901", "+33612345678")]
    assert positions == sorted(positions)
    assert page.count('class="callback overdue"') == 1

    late = CallbackRequest.objects.get(phone_number="+33698765432")
    response = agent_client.post(reverse("conversations:complete_callback", args=[late.pk]))
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.status == CallbackRequest.Status.DONE
    assert late.done_by == agent
    assert late.done_at is not None
    page = agent_client.get(reverse("conversations:callbacks")).content.decode()
    assert "+33698765432" not in page


def test_a_call_back_is_closed_only_once(agent, admin_agent):
    conversation = make_conversation()
    callback = services.request_callback(
        conversation=conversation, agent=agent, phone_number="0612345678", due_at=timezone.now()
    )
    assert services.complete_callback(callback=callback, agent=agent)
    assert not services.complete_callback(
        callback=callback, agent=admin_agent, status=CallbackRequest.Status.CANCELLED
    )
    callback.refresh_from_db()
    assert callback.done_by == agent
    assert callback.status == CallbackRequest.Status.DONE


def test_call_back_list_reads_a_fixed_number_of_queries(agent_client, django_assert_max_num_queries):
    conversation = make_conversation()
    for _ in range(5):
        services.request_callback(
            conversation=conversation, agent=None, phone_number="0612345678", due_at=timezone.now()
        )
    # 6, and the header asks whether the agent leads a team (the link to the figures).
    with django_assert_max_num_queries(7):
        assert agent_client.get(reverse("conversations:callbacks")).status_code == 200


# --- Outsider: an anonymous visitor sees nothing and changes nothing ---------------------


def test_anonymous_is_sent_to_login_for_calls_and_call_backs(client, agent):
    conversation = make_conversation()
    callback = services.request_callback(
        conversation=conversation, agent=agent, phone_number="0612345678", due_at=timezone.now()
    )
    requests = [
        ("get", reverse("conversations:callbacks"), {}),
        (
            "post",
            reverse("conversations:log_contact", args=[conversation.pk]),
            {"channel": "phone", "direction": "outbound", "summary": "x"},
        ),
        (
            "post",
            reverse("conversations:request_callback", args=[conversation.pk]),
            {"phone_number": "0612345678", "due_at": "2026-11-30T10:00"},
        ),
        ("post", reverse("conversations:complete_callback", args=[callback.pk]), {}),
    ]
    for method, url, data in requests:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("agents:login")), url
    assert conversation.messages.count() == 1
    assert CallbackRequest.objects.count() == 1
    callback.refresh_from_db()
    assert callback.status == CallbackRequest.Status.OPEN
