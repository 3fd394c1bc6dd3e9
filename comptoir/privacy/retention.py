"""Retention rules: customers who stopped interacting long ago are anonymised.

An interaction is anything dated that points at the record: a conversation's last message,
a message, a consent statement, a business event… (every relation is read from the model
meta, with its most telling date column), and the creation of the record itself. A purchase
counts through `last_purchase_at`. Looking at a record, or an agent or import adding to it,
is not an interaction.
"""

import logging
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from comptoir.customers.models import Customer
from comptoir.privacy.audit import SYSTEM
from comptoir.privacy.erasure import ErasureError, erase_customer
from comptoir.privacy.models import AuditEntry, RetentionRule
from comptoir.privacy.relations import customer_relations

logger = logging.getLogger(__name__)

# The date that says when a related row was last about the person, most telling first.
INTERACTION_DATES = ("last_message_at", "occurred_at", "collected_at", "created_at")
# Not contacts from the person (the CNIL counts from the last contact *from* the prospect):
# an address or a profile field added by an import or an agent, the people of a company.
NOT_INTERACTIONS = {"customers.identity", "customers.profilechange", "customers.customer"}
# Customers anonymised per rule and run: each is its own transaction, the next run goes on.
BATCH_SIZE = 500


def interaction_date_field(model: type[models.Model]) -> str | None:
    names = {field.name for field in model._meta.concrete_fields}
    return next((name for name in INTERACTION_DATES if name in names), None)


def list_expired_customers(rule: RetentionRule, now: datetime) -> models.QuerySet[Customer]:
    """Return the customers the rule anonymises now."""
    cutoff = now - timedelta(days=rule.inactive_days)
    customers = Customer.objects.filter(created_at__lt=cutoff).exclude(
        pk__in=AuditEntry.objects.filter(
            action__in=[AuditEntry.Action.ERASED, AuditEntry.Action.ANONYMISED]
        ).values("customer_id")
    )
    if rule.applies_to == RetentionRule.AppliesTo.PROSPECTS:
        customers = customers.filter(last_purchase_at__isnull=True)
    else:
        customers = customers.filter(last_purchase_at__lt=cutoff)
    for relation in customer_relations():
        date_field = interaction_date_field(relation.model)
        if date_field is None or relation.label in NOT_INTERACTIONS:
            continue
        recent = relation.model._base_manager.filter(
            Q(**{relation.field.attname: OuterRef("pk")}),
            Q(**{f"{date_field}__gte": cutoff}),
        )
        customers = customers.exclude(Exists(recent))
    return customers.order_by("pk")


def apply_retention_rules(now: datetime | None = None) -> int:
    """Anonymise the customers every active rule has expired; return how many."""
    now = now or timezone.now()
    done = 0
    for rule in RetentionRule.objects.filter(is_active=True):
        for customer in list_expired_customers(rule, now)[:BATCH_SIZE]:
            try:
                erase_customer(customer=customer, actor=SYSTEM, action=AuditEntry.Action.ANONYMISED)
            except ErasureError:
                continue  # Erased by someone else meanwhile.
            done += 1
        RetentionRule.objects.filter(pk=rule.pk).update(last_run_at=now)
    if done:
        logger.info("retention: %d customers anonymised", done)
    return done
