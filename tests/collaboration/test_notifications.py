"""The notifications page and the header badge: each agent sees their own, and only on
conversations they may open."""

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.collaboration.models import Notification
from comptoir.conversations import services
from tests.collaboration.conftest import make_conversation

pytestmark = pytest.mark.django_db

BADGE = 'class="badge unread"'


def mention(author, conversation, text: str = "@claire tu peux voir ?"):
    return services.add_note(conversation=conversation, agent=author, text=text)


def test_the_header_badge_counts_unread_notifications(client: Client, agent, teammate):
    conversation = make_conversation()
    mention(agent, conversation)
    mention(agent, make_conversation(email="autre@example.fr"))
    client.force_login(teammate)
    html = client.get(reverse("conversations:inbox")).content.decode()
    assert BADGE in html
    assert ">2</span>" in html
    client.force_login(agent)
    assert BADGE not in client.get(reverse("conversations:inbox")).content.decode()


def test_the_list_links_to_the_note_and_opening_marks_it_read(client: Client, agent, teammate):
    conversation = make_conversation(subject="Colis abîmé")
    note = mention(agent, conversation)
    client.force_login(teammate)
    page = client.get(reverse("collaboration:notifications"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"Camille vous mentionne dans [#{conversation.pk}] Colis abîmé" in html
    notification = Notification.objects.get()
    url = reverse("collaboration:open_notification", args=[notification.pk])
    assert url in html
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("conversations:detail", args=[conversation.pk]) + f"#message-{note.pk}"
    )
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert BADGE not in client.get(reverse("conversations:inbox")).content.decode()


def test_mark_all_as_read_clears_the_badge(client: Client, agent, teammate):
    conversation = make_conversation()
    mention(agent, conversation)
    mention(agent, conversation, "@claire encore")
    client.force_login(teammate)
    assert client.get(reverse("collaboration:mark_all_read")).status_code == 405
    response = client.post(reverse("collaboration:mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_an_agent_cannot_open_a_colleagues_notification(client: Client, agent, teammate):
    mention(agent, make_conversation())
    notification = Notification.objects.get()
    client.force_login(agent)
    response = client.get(reverse("collaboration:open_notification", args=[notification.pk]))
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    assert "Colis" not in client.get(reverse("collaboration:notifications")).content.decode()


def test_anonymous_is_sent_to_login(client: Client, agent, teammate):
    mention(agent, make_conversation())
    notification = Notification.objects.get()
    for url in [
        reverse("collaboration:notifications"),
        reverse("collaboration:open_notification", args=[notification.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("agents:login"))
    response = client.post(reverse("collaboration:mark_all_read"))
    assert response["Location"].startswith(reverse("agents:login"))


def test_an_outsider_does_not_see_notifications_of_a_conversation_hidden_from_them(
    client: Client, agent, outsider, hidden_from_outsider
):
    conversation = make_conversation(subject="Litige confidentiel")
    mention(agent, conversation, "@olivier tu peux voir ?")
    notification = Notification.objects.get(recipient=outsider)
    # The conversation is taken away from the outsourced team after the mention.
    hidden_from_outsider.add(conversation.pk)
    client.force_login(outsider)
    assert BADGE not in client.get(reverse("collaboration:notifications")).content.decode()
    assert (
        "Litige confidentiel"
        not in client.get(reverse("collaboration:notifications")).content.decode()
    )
    response = client.get(reverse("collaboration:open_notification", args=[notification.pk]))
    assert response.status_code == 404


def test_the_list_reads_a_fixed_number_of_queries(
    client: Client, agent, teammate, django_assert_max_num_queries
):
    mention(agent, make_conversation())
    client.force_login(teammate)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("collaboration:notifications"))
    for n in range(20):
        mention(agent, make_conversation(email=f"c{n}@example.fr"), f"@claire n°{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("collaboration:notifications"))
    assert response.content.decode().count("n°") == 20
