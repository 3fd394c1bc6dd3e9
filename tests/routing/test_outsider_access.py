"""The outsider (an agent of the outsourced level-1 team) sees only what is routed to his team.

Every URL of the project is walked from the resolver: a page without a decision in
comptoir.routing.outsiders fails here, so a new page cannot be forgotten.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.conversations import queries
from comptoir.conversations import services as conversation_services
from comptoir.conversations.models import Attachment, CallbackRequest, Conversation, Message
from comptoir.customers.models import Customer, Identity
from comptoir.messaging.models import Delivery
from comptoir.routing.models import RoutingRule
from comptoir.routing.outsiders import FORBIDDEN_NAMESPACES, OUTSIDER_ACCESS, Access
from comptoir.routing.services import route_conversations
from comptoir.teams.models import Membership
from tests.routing.conftest import make_agent, make_classified_conversation


def walk(patterns: list, namespace: str = "") -> list[tuple[str, URLPattern]]:
    """Return ("namespace:name", pattern) for every URL pattern under `patterns`."""
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            found += walk(pattern.url_patterns, inner)
        else:
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            found.append((name, pattern))
    return found


ALL_URLS = walk(get_resolver().url_patterns)
# Django's admin is decided as a whole (staff only) and checked model by model below.
PAGES = sorted(
    {(name, pattern) for name, pattern in ALL_URLS if name.partition(":")[0] not in FORBIDDEN_NAMESPACES},
    key=lambda item: item[0],
)


def test_every_url_has_an_outsider_decision_and_every_decision_a_url():
    names = {name for name, _ in PAGES}
    assert sorted(names - set(OUTSIDER_ACCESS)) == [], "decide in comptoir/routing/outsiders.py"
    assert sorted(set(OUTSIDER_ACCESS) - names) == [], "a decision for a page that is gone"


# --- The world the outsider works in ---------------------------------------------------


@dataclass
class World:
    own: Conversation
    other: Conversation
    same_customer_elsewhere: Conversation
    own_attachment: Attachment
    other_attachment: Attachment
    own_callback: CallbackRequest
    other_callback: CallbackRequest


SECRETS = ["Dossier confidentiel", "Secret", "+33699887766", "vera@example.fr", "Autre demande"]


def attach(conversation: Conversation, filename: str) -> Attachment:
    return Attachment.objects.create(
        message=conversation.messages.first(),
        filename=filename,
        content_type="application/pdf",
        size=3,
        file=ContentFile(b"pdf", name=filename),
    )


def callback(conversation: Conversation, phone: str) -> CallbackRequest:
    return CallbackRequest.objects.create(
        conversation=conversation, phone_number=phone, due_at=timezone.now() + timedelta(hours=2)
    )


@pytest.fixture
def world(default_team, outsourced_team) -> World:
    """Level-1 questions go to the outsourced team; the rest stays in the company."""
    RoutingRule.objects.create(name="Niveau 1", level="1", team=outsourced_team)
    paul = Customer.objects.create(first_name="Paul", last_name="Durand")
    Identity.objects.create(customer=paul, kind=Identity.Kind.EMAIL, value="paul@example.fr")
    Identity.objects.create(customer=paul, kind=Identity.Kind.PHONE, value="+33611223344")
    vera = Customer.objects.create(first_name="Vera", last_name="Secret")
    Identity.objects.create(customer=vera, kind=Identity.Kind.EMAIL, value="vera@example.fr")
    own = make_classified_conversation(subject="Colis abîmé", customer=paul, level="1")
    other = make_classified_conversation(
        subject="Dossier confidentiel", customer=vera, level="expert", email="vera@example.fr"
    )
    elsewhere = make_classified_conversation(
        subject="Autre demande", customer=paul, level="expert"
    )
    route_conversations(conversation_ids=[own.pk, other.pk, elsewhere.pk])
    for conversation in (own, other, elsewhere):
        conversation.refresh_from_db()
    assert own.team == outsourced_team and other.team == default_team
    return World(
        own=own,
        other=other,
        same_customer_elsewhere=elsewhere,
        own_attachment=attach(own, "photo-colis.pdf"),
        other_attachment=attach(other, "contrat-secret.pdf"),
        own_callback=callback(own, "+33611223344"),
        other_callback=callback(other, "+33699887766"),
    )


@pytest.fixture
def outsider_client(client: Client, outsider: Agent) -> Client:
    client.force_login(outsider)
    return client


def argument_for(name: str, key: str, world: World) -> str:
    """A value for a URL argument that points at what the outsider must not reach."""
    if key == "token":
        return "jeton-inconnu"
    if name == "conversations:complete_callback":
        return str(world.other_callback.pk)
    if name == "conversations:attachment":
        return str(world.other_attachment.pk)
    if name.startswith(("conversations:", "sorting:")):
        return str(world.other.pk)
    if key in ("pk", "customer_id") and not name.startswith("privacy:undo"):
        return str(world.other.customer_id)
    return "1"


def url_of(name: str, pattern: URLPattern, world: World) -> str:
    keys = list(getattr(pattern.pattern, "converters", {})) or list(
        pattern.pattern.regex.groupindex
    )
    return reverse(name, kwargs={key: argument_for(name, key, world) for key in keys})


def trail_of(conversation: Conversation) -> tuple[int, int]:
    return conversation.messages.count(), conversation.events.count()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "pattern"), PAGES, ids=[name for name, _ in PAGES])
def test_the_outsider_reaches_nothing_beyond_his_teams_conversations(
    outsider_client, world, name, pattern
):
    decision = OUTSIDER_ACCESS.get(name)
    assert decision is not None, f"{name} has no decision in comptoir/routing/outsiders.py"
    url = url_of(name, pattern, world)
    before = trail_of(world.other)

    got, posted = outsider_client.get(url), outsider_client.post(url)

    if decision == Access.FORBIDDEN:
        assert (got.status_code, posted.status_code) == (403, 403), url
    elif decision == Access.OWN_CONVERSATIONS and "<" in str(pattern.pattern):
        # Someone else's conversation, call-back or attachment: as if it did not exist.
        assert {got.status_code, posted.status_code} <= {404, 405}, url
        assert 404 in {got.status_code, posted.status_code}, url
    elif decision == Access.OWN_CONVERSATIONS:
        assert got.status_code == 200, url
        page = got.content.decode()
        assert not [secret for secret in SECRETS if secret in page], url
    else:
        assert got.status_code != 403 or posted.status_code != 403, url
    assert trail_of(world.other) == before
    assert not world.other.callback_requests.exclude(status=CallbackRequest.Status.OPEN).exists()


@pytest.mark.django_db
def test_the_outsider_gets_403_on_every_page_of_django_admin(outsider_client, world):
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls += [
            reverse("admin:%s_%s_changelist" % info),
            reverse("admin:%s_%s_add" % info),
            reverse("admin:%s_%s_change" % info, args=[1]),
        ]
    refused = [url for url in urls if outsider_client.get(url).status_code == 403]
    assert refused == urls


@pytest.mark.django_db
def test_the_outsider_works_on_his_own_conversation(outsider_client, outsider, world):
    own = world.own
    page = outsider_client.get(reverse("conversations:detail", args=[own.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Paul Durand" in content and "Colis abîmé" in content
    # The name and the conversation, not the customer record.
    assert reverse("customers:detail", args=[own.customer_id]) not in content
    assert not [secret for secret in SECRETS if secret in content]

    actions = [
        ("reply", {"text": "Bonjour, nous renvoyons un colis."}),
        ("note", {"text": "Renvoi demandé à l'entrepôt."}),
        ("assign", {"assign_to_me": "1"}),
        ("status", {"status": "resolved"}),
        ("log_contact", {"channel": "phone", "direction": "outbound", "summary": "Appelé."}),
    ]
    for action, data in actions:
        response = outsider_client.post(reverse(f"conversations:{action}", args=[own.pk]), data)
        assert response.status_code == 302, action
    own.refresh_from_db()
    assert own.assignee == outsider
    assert own.messages.filter(direction=Message.Direction.OUTBOUND, author=outsider).count() == 2
    assert own.messages.filter(direction=Message.Direction.INTERNAL).exists()
    assert Delivery.objects.filter(message__conversation=own).count() == 1
    assert outsider_client.get(
        reverse("conversations:attachment", args=[world.own_attachment.pk])
    ).status_code == 200
    callbacks = outsider_client.get(reverse("conversations:callbacks")).content.decode()
    assert "+33611223344" in callbacks and "+33699887766" not in callbacks
    done = outsider_client.post(
        reverse("conversations:complete_callback", args=[world.own_callback.pk])
    )
    assert done.status_code == 302
    world.own_callback.refresh_from_db()
    assert world.own_callback.status == CallbackRequest.Status.DONE


@pytest.mark.django_db
def test_the_outsiders_inbox_counts_and_search_cover_only_his_teams_conversations(
    outsider_client, outsider, world
):
    assert queries.count_inbox_views(outsider)[queries.InboxView.UNASSIGNED] == 1
    everything = queries.list_conversations(view=None, agent=outsider)
    assert list(everything) == [world.own]
    assert not queries.list_conversations(view=None, agent=outsider, search="confidentiel")
    assert not queries.list_conversations(view=None, agent=outsider, search="vera@example.fr")
    assert list(queries.list_other_conversations(world.own, agent=outsider)) == []
    inbox = outsider_client.get(reverse("conversations:inbox"), {"q": "Paul"}).content.decode()
    assert "Colis abîmé" in inbox and "Autre demande" not in inbox


@pytest.mark.django_db
def test_the_outsider_loses_a_conversation_rerouted_away_from_his_team(
    outsider_client, outsider, world, admin_agent
):
    conversation_services.assign_conversation(conversation=world.own, assignee=outsider)
    admin_client = Client()
    admin_client.force_login(admin_agent)
    admin_client.post(
        reverse("sorting:correct", args=[world.own.pk]),
        {"category": "order_delivery", "level": "expert", "sentiment": "neutral", "urgency": "normal"},
    )
    world.own.refresh_from_db()
    assert world.own.team.is_default
    assert world.own.assignee is None  # back to the new team's queue
    assert outsider_client.get(reverse("conversations:detail", args=[world.own.pk])).status_code == 404


@pytest.mark.django_db
def test_only_an_agent_whose_teams_are_all_outsourced_is_an_outsider(
    agent, teammate, admin_agent, outsourced_team, experts, world
):
    assert not agent.is_outsider  # no team: the company's own service
    assert not teammate.is_outsider
    both = make_agent("bea", teams=[outsourced_team, experts])
    assert not both.is_outsider
    Membership.objects.create(team=outsourced_team, agent=admin_agent)
    assert not Agent.objects.get(pk=admin_agent.pk).is_outsider
    for person in (agent, teammate, both, admin_agent):
        assert queries.visible_conversations(person).count() == 3


@pytest.mark.django_db
def test_the_outsider_has_no_customer_link_in_the_header(outsider_client, agent, world):
    header = outsider_client.get(reverse("conversations:inbox")).content.decode()
    assert reverse("customers:list") not in header
    agent_client = Client()
    agent_client.force_login(agent)
    assert reverse("customers:list") in agent_client.get(reverse("conversations:inbox")).content.decode()


@pytest.mark.django_db
def test_the_outsiders_inbox_costs_the_same_queries_however_many_conversations(
    outsider_client, world, django_assert_max_num_queries
):
    url = reverse("conversations:inbox") + "?view=open"
    outsider_client.get(url)  # presence written once a minute: not in the count
    with django_assert_max_num_queries(30) as few:
        outsider_client.get(url)
    more = [
        make_classified_conversation(email=f"client{n}@example.fr", level="1") for n in range(10)
    ]
    route_conversations(conversation_ids=[conversation.pk for conversation in more])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = outsider_client.get(url)
    assert len(page.context["page"].object_list) == 11
