"""Routing rules: tried by priority, first match wins, the default team otherwise."""

import pytest
from django.core.management import call_command

from comptoir.conversations.models import Conversation, ConversationEvent
from comptoir.customers.models import Customer, Segment
from comptoir.routing import services
from comptoir.routing.models import VIP_SEGMENT_NAME, RoutingDecision, RoutingRule
from comptoir.routing.rules import RoutingFacts, fold, matches
from tests.routing.conftest import make_classified_conversation

pytestmark = pytest.mark.django_db


def route(conversation: Conversation) -> Conversation:
    services.route_conversations(conversation_ids=[conversation.pk])
    conversation.refresh_from_db()
    return conversation


def routed_events(conversation: Conversation) -> list[dict]:
    return list(
        conversation.events.filter(kind=ConversationEvent.Kind.ROUTED).values_list("data", flat=True)
    )


def test_the_first_matching_rule_by_priority_wins(default_team, experts, outsourced_team):
    RoutingRule.objects.create(name="Tout le niveau 1", priority=20, level="1", team=outsourced_team)
    billing = RoutingRule.objects.create(
        name="Facturation", priority=10, category="billing", team=experts
    )
    conversation = make_classified_conversation(category="billing", level="1")

    route(conversation)

    assert conversation.team == experts
    assert routed_events(conversation) == [{"rule": billing.pk, "team": experts.pk}]
    assert conversation.events.get(kind=ConversationEvent.Kind.ROUTED).actor is None


def test_a_conversation_no_rule_matches_stays_in_the_default_team(default_team, experts):
    RoutingRule.objects.create(name="Experts", level="expert", team=experts)
    conversation = make_classified_conversation(level="1")

    route(conversation)

    assert conversation.team == default_team
    assert routed_events(conversation) == [{"rule": None, "team": default_team.pk}]


def test_an_inactive_rule_is_skipped(default_team, experts):
    RoutingRule.objects.create(name="Désactivée", is_active=False, team=experts)
    assert route(make_classified_conversation()).team == default_team


def test_a_conversation_is_routed_once_however_often_it_is_classified(default_team, experts):
    RoutingRule.objects.create(name="Tout", team=experts)
    conversation = make_classified_conversation()

    assert services.route_conversations(conversation_ids=[conversation.pk]) == 1
    assert services.route_conversations(conversation_ids=[conversation.pk]) == 0

    assert len(routed_events(conversation)) == 1
    assert RoutingDecision.objects.get(conversation=conversation).team == experts


@pytest.mark.parametrize(
    ("condition", "matching", "other"),
    [
        ({"category": "complaint"}, {"category": "complaint"}, {"category": "billing"}),
        ({"level": "expert"}, {"level": "expert"}, {"level": "1"}),
        ({"channel": "letter"}, {"channel": "letter"}, {"channel": "email"}),
        (
            {"keywords": "résiliation\nremboursement"},
            {"text": "Je demande le REMBOURSEMENT de ma commande"},
            {"text": "Où est mon colis ?"},
        ),
        (
            {"keywords": "resiliation, avocat"},
            {"subject": "Résiliation de mon abonnement"},
            {"subject": "Question"},
        ),
    ],
)
def test_each_condition_of_a_rule_selects_its_conversations(
    default_team, experts, condition, matching, other
):
    RoutingRule.objects.create(name="Règle", team=experts, **condition)
    matched = make_classified_conversation(**matching)
    unmatched = make_classified_conversation(email="autre@example.fr", **other)

    services.route_conversations(conversation_ids=[matched.pk, unmatched.pk])

    assert Conversation.objects.get(pk=matched.pk).team == experts
    assert Conversation.objects.get(pk=unmatched.pk).team == default_team


def test_a_segment_or_vip_rule_routes_the_customers_of_that_segment(default_team, experts):
    vip = Segment.objects.create(name=VIP_SEGMENT_NAME)
    grands_comptes = Segment.objects.create(name="Grands comptes")
    RoutingRule.objects.create(name="VIP", priority=1, vip_only=True, team=experts)
    RoutingRule.objects.create(
        name="Grands comptes", priority=2, segment=grands_comptes, team=default_team
    )
    star = Customer.objects.create(first_name="Vera")
    vip.customers.add(star)
    plain = Customer.objects.create(first_name="Paul")

    starred = make_classified_conversation(customer=star)
    ordinary = make_classified_conversation(customer=plain)
    services.route_conversations(conversation_ids=[starred.pk, ordinary.pk])

    assert Conversation.objects.get(pk=starred.pk).team == experts
    assert Conversation.objects.get(pk=ordinary.pk).team == default_team
    assert RoutingDecision.objects.get(conversation=ordinary).rule is None


def test_a_rule_without_condition_matches_everything():
    rule = RoutingRule(name="Tout")
    assert matches(rule, RoutingFacts())


def test_keywords_ignore_case_and_accents():
    rule = RoutingRule(name="Litige", keywords="Réclamation")
    assert matches(rule, RoutingFacts(text=fold("Ceci est une RECLAMATION formelle")))
    assert not matches(rule, RoutingFacts(text=fold("Merci pour tout")))


def test_routing_a_batch_costs_a_fixed_number_of_queries(
    default_team, experts, django_assert_num_queries
):
    RoutingRule.objects.create(name="Facturation", category="billing", team=experts)
    small = [make_classified_conversation(email=f"a{n}@example.fr").pk for n in range(2)]
    large = [
        make_classified_conversation(email=f"b{n}@example.fr", category="billing").pk
        for n in range(8)
    ]
    with django_assert_num_queries(13) as few:
        services.route_conversations(conversation_ids=small)
    with django_assert_num_queries(len(few.captured_queries)):
        services.route_conversations(conversation_ids=large)


def test_the_demo_company_routes_simple_deliveries_to_its_outsourced_team():
    call_command("load_demo")

    level_1 = RoutingRule.objects.get(name="Livraisons simples").team
    assert level_1.is_outsourced
    contractor = level_1.members.get()
    assert contractor.is_outsider
    assert Segment.objects.get(name=VIP_SEGMENT_NAME).customers.exists()
