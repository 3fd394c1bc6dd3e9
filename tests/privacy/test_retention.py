"""Retention: prospects silent for three years are anonymised by the worker's clock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.conversations.models import Conversation, Message
from comptoir.core.management.commands.worker import periodic_jobs
from comptoir.customers.models import BusinessEvent, Customer, ProfileChange
from comptoir.privacy.models import AuditEntry, RetentionRule
from comptoir.privacy.retention import apply_retention_rules, list_expired_customers
from comptoir.privacy.tasks import apply_retention_rules_task

pytestmark = pytest.mark.django_db


def age(customer: Customer, days: int) -> None:
    """Move everything of the customer `days` into the past."""
    past = timezone.now() - timedelta(days=days)
    Customer.objects.filter(pk=customer.pk).update(created_at=past, updated_at=past)
    Conversation.objects.filter(customer=customer).update(created_at=past, last_message_at=past)
    Message.objects.filter(conversation__customer=customer).update(created_at=past)
    BusinessEvent.objects.filter(customer=customer).update(occurred_at=past, created_at=past)
    ProfileChange.objects.filter(customer=customer).update(created_at=past)
    customer.consent_records.model._base_manager.filter(customer=customer).update(
        collected_at=past, created_at=past
    )


def test_the_prospect_rule_is_there_from_the_start():
    rule = RetentionRule.objects.get()
    assert (rule.applies_to, rule.inactive_days, rule.is_active) == ("prospects", 1095, True)


def test_a_silent_prospect_is_anonymised_and_an_active_one_kept(philomene, paul):
    age(philomene, days=3 * 365 + 10)
    age(paul, days=3 * 365 + 10)
    # Paul wrote again last month.
    Message.objects.filter(conversation__customer=paul).update(
        created_at=timezone.now() - timedelta(days=30)
    )

    assert apply_retention_rules() == 1

    philomene.refresh_from_db()
    paul.refresh_from_db()
    assert (philomene.first_name, paul.first_name) == ("", "Paul")
    entry = AuditEntry.objects.get(customer_id=philomene.pk)
    assert (entry.action, entry.actor_kind, entry.actor) == ("anonymised", "system", "system")
    assert RetentionRule.objects.get().last_run_at is not None
    # A second run finds nothing more to do.
    assert apply_retention_rules() == 0


def test_a_recent_business_event_counts_as_an_interaction(philomene):
    age(philomene, days=4 * 365)
    BusinessEvent.objects.filter(customer=philomene).update(occurred_at=timezone.now())

    assert not list_expired_customers(RetentionRule.objects.get(), timezone.now()).exists()


def test_a_buyer_is_not_a_prospect(philomene):
    age(philomene, days=4 * 365)
    Customer.objects.filter(pk=philomene.pk).update(
        last_purchase_at=timezone.now() - timedelta(days=4 * 365)
    )
    assert apply_retention_rules() == 0

    RetentionRule.objects.create(name="Anciens clients", applies_to="customers")
    assert apply_retention_rules() == 1


def test_an_inactive_rule_does_nothing(philomene):
    age(philomene, days=4 * 365)
    RetentionRule.objects.update(is_active=False)
    assert apply_retention_rules() == 0


def test_the_worker_clock_runs_the_rules_daily():
    assert (24 * 3600, apply_retention_rules_task) in periodic_jobs()
