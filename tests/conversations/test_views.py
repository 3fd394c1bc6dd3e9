"""The agent interface through the Django test client: agent, admin_agent and anonymous."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comptoir.conversations import services
from comptoir.conversations.models import Attachment, Conversation, Message
from comptoir.customers.models import Customer, Identity
from comptoir.mail.inbound import process_inbound_email, receive_raw_email
from comptoir.messaging.models import Delivery
from tests.conftest import make_email

pytestmark = pytest.mark.django_db


def ingest(raw: bytes) -> Message:
    received = receive_raw_email(raw, source="test")
    message = process_inbound_email(received.inbound.pk)
    assert message is not None
    return message


def make_conversation(
    *, subject: str = "Colis abîmé", name: str = "Paul", email: str = "paul@example.fr", **fields
) -> Conversation:
    customer = Customer.objects.create(first_name=name)
    Identity.objects.create(customer=customer, kind=Identity.Kind.EMAIL, value=email)
    conversation = services.open_conversation(customer=customer, subject=subject)
    services.add_inbound_message(
        conversation=conversation, text="Bonjour, mon colis est abîmé.", from_address=email
    )
    if fields:
        Conversation.objects.filter(pk=conversation.pk).update(**fields)
        conversation.refresh_from_db()
    return conversation


@pytest.fixture
def agent_client(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


# --- Outsider: an anonymous visitor sees nothing and changes nothing ---------------------


def agent_pages(conversation: Conversation, attachment: Attachment) -> list[str]:
    return [
        reverse("conversations:inbox"),
        reverse("conversations:inbox") + "?view=mine",
        reverse("conversations:inbox") + "?q=colis",
        reverse("conversations:detail", args=[conversation.pk]),
        reverse("conversations:attachment", args=[attachment.pk]),
    ]


def test_anonymous_is_sent_to_login_for_every_page(client):
    conversation = make_conversation()
    message = conversation.messages.get()
    attachment = Attachment.objects.create(
        message=message,
        filename="a.pdf",
        content_type="application/pdf",
        size=3,
        file=ContentFile(b"pdf", name="a.pdf"),
    )
    for url in agent_pages(conversation, attachment):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("agents:login")), url


def test_anonymous_cannot_post_any_action(client):
    conversation = make_conversation()
    actions = {
        "reply": {"text": "Bonjour"},
        "note": {"text": "Note"},
        "assign": {"assign_to_me": "1"},
        "status": {"status": "closed"},
    }
    for name, data in actions.items():
        response = client.post(reverse(f"conversations:{name}", args=[conversation.pk]), data)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("agents:login"))
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW
    assert conversation.assignee is None
    assert conversation.messages.count() == 1
    assert not Delivery.objects.exists()


def test_post_without_csrf_token_is_refused(agent):
    conversation = make_conversation()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(
        reverse("conversations:reply", args=[conversation.pk]), {"text": "Bonjour"}
    )
    assert response.status_code == 403
    assert not Delivery.objects.exists()


# --- Login ------------------------------------------------------------------------------


def test_login_page_logs_an_agent_in_and_logout_needs_post(client, agent):
    page = client.get(reverse("agents:login"))
    assert page.status_code == 200
    assert "Connexion" in page.content.decode()
    response = client.post(
        reverse("agents:login"), {"username": "camille", "password": "motdepasse-agent-1"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("conversations:inbox")
    assert client.get(reverse("agents:logout")).status_code == 405
    client.post(reverse("agents:logout"))
    assert client.get(reverse("conversations:inbox")).status_code == 302


def test_wrong_password_shows_an_error(client, agent):
    response = client.post(reverse("agents:login"), {"username": "camille", "password": "non"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


# --- Inbox ------------------------------------------------------------------------------


def test_inbox_shows_the_five_views_with_counts(agent_client, agent):
    make_conversation(subject="Sans agent")
    make_conversation(subject="À moi", email="b@example.fr", assignee=agent, status="open")
    make_conversation(subject="En attente", email="c@example.fr", status="waiting")
    make_conversation(subject="Résolue", email="d@example.fr", status="resolved")
    response = agent_client.get(reverse("conversations:inbox"))
    assert response.status_code == 200
    counts = {tab["view"].value: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"unassigned": 1, "mine": 1, "open": 2, "waiting": 1, "resolved": 1}
    html = response.content.decode()
    for label in ["Non assignées", "Les miennes", "Toutes ouvertes", "En attente", "Résolues"]:
        assert label in html
    assert "Sans agent" in html
    subjects = [c.subject for c in response.context["page"].object_list]
    assert subjects == ["Sans agent"]


def test_open_views_list_the_most_urgent_first(agent_client, agent):
    now = timezone.now()
    later = make_conversation(
        subject="Plus tard", assignee=agent, status="open", sla_due_at=now + timedelta(hours=5)
    )
    overdue = make_conversation(
        subject="En retard", email="n@example.fr", assignee=agent, status="open",
        sla_due_at=now - timedelta(minutes=5),
    )
    without_due = make_conversation(
        subject="Sans échéance", email="o@example.fr", assignee=agent, status="open",
        sla_due_at=None,
    )
    for view in ["mine", "open"]:
        response = agent_client.get(reverse("conversations:inbox") + f"?view={view}")
        assert list(response.context["page"].object_list) == [overdue, later, without_due]


def test_waiting_and_resolved_views_list_the_newest_activity_first(agent_client, agent):
    older = make_conversation(subject="Ancienne", status="resolved")
    newer = make_conversation(subject="Récente", email="n@example.fr", status="resolved")
    response = agent_client.get(reverse("conversations:inbox") + "?view=resolved")
    assert list(response.context["page"].object_list) == [newer, older]
    waiting = agent_client.get(reverse("conversations:inbox") + "?view=waiting")
    assert list(waiting.context["page"].object_list) == []


def test_inbox_row_shows_reference_customer_status_time_and_attention_flag(agent_client):
    conversation = make_conversation(needs_attention=True, attention_reason="Boucle suspectée")
    html = agent_client.get(reverse("conversations:inbox")).content.decode()
    assert conversation.reference in html
    assert "Paul" in html
    assert "Nouvelle" in html
    assert "Attention requise" in html
    # French short date format: day/month/year.
    assert conversation.last_message_at.astimezone().strftime("%Y") in html
    assert "/" + conversation.last_message_at.strftime("%Y") in html


def test_inbox_query_count_does_not_grow_with_rows(
    agent_client, agent, django_assert_max_num_queries
):
    for n in range(3):
        make_conversation(subject=f"Demande {n}", email=f"c{n}@example.fr", assignee=agent)
    # 14: a count per tab (each stopped at the cap), the page's ids then its rows (a deep
    # page walks the index alone), the session's first request noting presence.
    with django_assert_max_num_queries(14) as few:
        agent_client.get(reverse("conversations:inbox") + "?view=open")
    for n in range(3, 30):
        make_conversation(subject=f"Demande {n}", email=f"c{n}@example.fr", assignee=agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = agent_client.get(reverse("conversations:inbox") + "?view=open")
    assert len(response.context["page"].object_list) == 30


def test_inbox_is_paginated_by_fifty(agent_client):
    customer = Customer.objects.create(first_name="Zoé")
    Conversation.objects.bulk_create(
        Conversation(customer=customer, subject=f"Demande {n}") for n in range(53)
    )
    first = agent_client.get(reverse("conversations:inbox"))
    assert len(first.context["page"].object_list) == 50
    second = agent_client.get(reverse("conversations:inbox") + "?view=unassigned&page=2")
    assert len(second.context["page"].object_list) == 3


def test_search_finds_by_subject_body_customer_name_and_email(agent_client):
    by_subject = make_conversation(subject="Remboursement refusé", email="s@example.fr", name="Zed")
    by_body = make_conversation(subject="Autre", email="t@example.fr", name="Yan")
    services.add_inbound_message(
        conversation=by_body, text="Le numéro de suivi XK-778 ne marche pas"
    )
    by_name = make_conversation(subject="Question", email="u@example.fr", name="Gwendoline")
    by_email = make_conversation(
        subject="Livraison", email="unique.adresse@example.org", name="Ada"
    )

    def found(text: str) -> list[Conversation]:
        response = agent_client.get(reverse("conversations:inbox"), {"q": text})
        assert response.status_code == 200
        return list(response.context["page"].object_list)

    assert found("remboursement") == [by_subject]
    assert found("xk-778") == [by_body]
    assert found("gwendo") == [by_name]
    assert found("UNIQUE.adresse") == [by_email]
    assert found(f"#{by_name.pk}") == [by_name]
    assert found("rien de tel") == []


def test_search_includes_resolved_conversations(agent_client):
    resolved = make_conversation(subject="Facture en double", status="resolved")
    response = agent_client.get(reverse("conversations:inbox"), {"q": "facture"})
    assert list(response.context["page"].object_list) == [resolved]


# --- Conversation page ------------------------------------------------------------------


def test_conversation_shows_thread_customer_and_other_conversations(agent_client, agent):
    first = ingest(make_email())
    conversation = first.conversation
    services.open_conversation(customer=conversation.customer, subject="Ancienne demande")
    services.add_note(conversation=conversation, agent=agent, text="Voir avec l'entrepôt")
    response = agent_client.get(reverse("conversations:detail", args=[conversation.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "J&#x27;attends toujours ma commande 12345." in html
    assert "Voir avec l&#x27;entrepôt" in html
    assert "entry-inbound" in html and "entry-internal" in html
    assert "jeanne.martin@example.fr" in html
    assert "Jeanne" in html
    assert "Ancienne demande" in html


def test_customer_other_conversations_are_listed(agent_client):
    conversation = make_conversation()
    other = services.open_conversation(customer=conversation.customer, subject="Retour produit")
    html = agent_client.get(
        reverse("conversations:detail", args=[conversation.pk])
    ).content.decode()
    assert "Retour produit" in html
    assert reverse("conversations:detail", args=[other.pk]) in html


def test_inbound_html_is_rendered_and_text_is_escaped(agent_client):
    conversation = make_conversation()
    services.add_inbound_message(
        conversation=conversation, text="texte", html="<p><strong>Gras</strong></p>"
    )
    services.add_inbound_message(
        conversation=conversation, text="<script>alert(1)</script>", reply_text=""
    )
    html = agent_client.get(
        reverse("conversations:detail", args=[conversation.pk])
    ).content.decode()
    assert "<strong>Gras</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_quoted_text_is_behind_a_toggle(agent_client):
    conversation = make_conversation()
    services.add_inbound_message(
        conversation=conversation,
        text="Merci !\n\n> Le 1er mars, le service a écrit :\n> Votre colis part demain",
        reply_text="Merci !",
    )
    html = agent_client.get(
        reverse("conversations:detail", args=[conversation.pk])
    ).content.decode()
    assert "Afficher le texte cité" in html
    assert "Votre colis part demain" in html.split("<details")[1]


def test_missing_conversation_is_404(agent_client):
    assert agent_client.get(reverse("conversations:detail", args=[999999])).status_code == 404


# --- Actions ----------------------------------------------------------------------------


def test_reply_is_sent_and_queued_for_delivery(agent_client, agent):
    conversation = ingest(make_email()).conversation
    response = agent_client.post(
        reverse("conversations:reply", args=[conversation.pk]),
        {"text": "Bonjour Jeanne,\nvotre commande part aujourd'hui."},
        follow=True,
    )
    assert response.status_code == 200
    reply = conversation.messages.filter(direction=Message.Direction.OUTBOUND, author=agent).get()
    assert reply.text == "Bonjour Jeanne,\nvotre commande part aujourd'hui."
    assert Delivery.objects.filter(message=reply, recipient="jeanne.martin@example.fr").exists()
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING
    assert conversation.assignee == agent
    assert "Réponse envoyée." in response.content.decode()


def test_empty_reply_shows_an_error_and_sends_nothing(agent_client):
    conversation = make_conversation()
    response = agent_client.post(
        reverse("conversations:reply", args=[conversation.pk]), {"text": "   "}
    )
    assert response.status_code == 400
    assert "La réponse est vide." in response.content.decode()
    assert not Delivery.objects.exists()


def test_failed_reply_keeps_the_typed_text(agent_client):
    # A customer without any email address: the service refuses, the text must survive.
    customer = Customer.objects.create(first_name="Sans adresse")
    conversation = services.open_conversation(customer=customer, subject="Appel")
    typed = "Un long texte soigneusement rédigé"
    response = agent_client.post(
        reverse("conversations:reply", args=[conversation.pk]), {"text": typed}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert typed in html
    assert "La réponse n’a pas été envoyée" in html
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()


def test_note_is_internal_and_not_delivered(agent_client, agent):
    conversation = make_conversation()
    agent_client.post(
        reverse("conversations:note", args=[conversation.pk]), {"text": "Client fidèle"}
    )
    note = conversation.messages.get(direction=Message.Direction.INTERNAL)
    assert note.text == "Client fidèle" and note.author == agent
    assert not Delivery.objects.exists()


def test_assign_to_me_and_to_a_teammate_and_back(agent_client, agent, admin_agent):
    conversation = make_conversation()
    url = reverse("conversations:assign", args=[conversation.pk])
    agent_client.post(url, {"assign_to_me": "1"})
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    assert conversation.status == Conversation.Status.OPEN
    agent_client.post(url, {"assignee": admin_agent.pk})
    conversation.refresh_from_db()
    assert conversation.assignee == admin_agent
    agent_client.post(url, {"assignee": ""})
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_assign_to_unknown_agent_is_refused(agent_client):
    conversation = make_conversation()
    response = agent_client.post(
        reverse("conversations:assign", args=[conversation.pk]), {"assignee": "999999"}
    )
    assert response.status_code == 400
    conversation.refresh_from_db()
    assert conversation.assignee is None


@pytest.mark.parametrize("status", [s for s, _ in Conversation.Status.choices])
def test_status_can_be_set_to_each_value(agent_client, status):
    conversation = make_conversation()
    agent_client.post(reverse("conversations:status", args=[conversation.pk]), {"status": status})
    conversation.refresh_from_db()
    assert conversation.status == status


def test_unknown_status_is_refused(agent_client):
    conversation = make_conversation()
    response = agent_client.post(
        reverse("conversations:status", args=[conversation.pk]), {"status": "lost"}
    )
    assert response.status_code == 400
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW


def test_htmx_post_carries_csrf_header_from_base_template(agent, client):
    client.force_login(agent)
    html = client.get(reverse("conversations:inbox")).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


# --- Attachments ------------------------------------------------------------------------


def test_attachment_is_downloaded_never_rendered(agent_client):
    conversation = make_conversation()
    attachment = Attachment.objects.create(
        message=conversation.messages.get(),
        filename="page.html",
        content_type="text/html",
        size=26,
        file=ContentFile(b"<script>alert(1)</script>", name="page.html"),
    )
    response = agent_client.get(reverse("conversations:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="page.html"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"


def test_attachment_too_large_to_store_is_404(agent_client):
    conversation = make_conversation()
    attachment = Attachment.objects.create(
        message=conversation.messages.get(),
        filename="big.iso",
        content_type="application/x-iso",
        size=10**9,
        too_large=True,
    )
    response = agent_client.get(reverse("conversations:attachment", args=[attachment.pk]))
    assert response.status_code == 404


# --- Roles and language -----------------------------------------------------------------


def test_admin_link_is_shown_to_admins_only(client, agent, admin_agent):
    client.force_login(agent)
    assert reverse("admin:index") not in client.get(reverse("conversations:inbox")).content.decode()
    client.force_login(admin_agent)
    assert reverse("admin:index") in client.get(reverse("conversations:inbox")).content.decode()


def test_interface_is_french_by_default_and_switches_to_english(agent_client):
    assert "Non assignées" in agent_client.get(reverse("conversations:inbox")).content.decode()
    agent_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = agent_client.get(reverse("conversations:inbox")).content.decode()
    assert "Unassigned" in html
    assert "All open" in html


def test_conversation_page_query_count_does_not_grow_with_messages(
    agent_client, agent, django_assert_max_num_queries
):
    conversation = make_conversation()
    url = reverse("conversations:detail", args=[conversation.pk])
    # The page's fixed cost: the sidebar (call-backs, teams, surveys, ready answers, tags,
    # forward requests and who holds the conversation), the header's unread notifications,
    # the audit trail and its first "viewed" entry, the agent's teams (is he an outsider?)
    # and his presence (written once a minute); the customer's timeline reads each of its
    # sources once (messages, events, consents, profile changes, sends, tracking).
    with django_assert_max_num_queries(41) as few:
        agent_client.get(url)
    for n in range(15):
        message = services.add_inbound_message(conversation=conversation, text=f"Relance {n}")
        Attachment.objects.create(
            message=message,
            filename=f"photo-{n}.jpg",
            content_type="image/jpeg",
            size=3,
            file=ContentFile(b"jpg", name=f"photo-{n}.jpg"),
        )
        services.add_note(conversation=conversation, agent=agent, text=f"Note {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = agent_client.get(url)
    assert response.content.decode().count("photo-") >= 15


@pytest.mark.django_db
def test_role_admin_opens_django_admin_and_role_agent_does_not(client, agent, admin_agent):
    client.force_login(admin_agent)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/mail/inboundemail/").status_code == 200  # every permission
    client.force_login(agent)
    assert client.get("/admin/").status_code == 302
