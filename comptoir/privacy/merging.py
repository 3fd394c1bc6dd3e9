"""Merging two customer records that are one person, and undoing it.

A merge moves every row that points at the merged record (conversations, messages,
identities, consents, events… found from the model meta) to the kept one, fills the kept
record's empty fields from the merged one, and deletes the merged record. It lives here
rather than in customers because what makes it safe is here: the audit log, and the
snapshot in `MergeRecord` from which `undo_merge` rebuilds the merged record exactly.

Rows that cannot move, because the kept record already has their equivalent (a
one-to-one such as the preferences, a unique custom field), stay behind: the kept record's
own wins, and theirs is kept in the snapshot.
"""

import datetime
import json
from typing import Any

from django.contrib.admin.utils import NestedObjects
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, router, transaction
from django.utils import timezone

from comptoir.agents.models import Agent
from comptoir.consents import pressure
from comptoir.consents import services as consents
from comptoir.customers.models import Customer
from comptoir.privacy.audit import Actor, is_erased, record_action
from comptoir.privacy.models import AuditEntry, MergeRecord
from comptoir.privacy.relations import Relation, customer_relations, unique_field_sets

LEDGER = "consents.consentrecord"


class MergeError(Exception):
    """The merge or its undo cannot be done; the message says why."""


def merge_customers(*, kept: Customer, merged: Customer, actor: Agent | Actor) -> MergeRecord:
    """Move everything of `merged` to `kept`, delete `merged`, and return the undo record."""
    if kept.pk == merged.pk:
        raise MergeError("A customer cannot be merged into itself.")
    who = Actor.of(actor)
    with transaction.atomic():
        # Both rows locked, in id order so that two merges of the same pair cannot deadlock.
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update()
            .filter(pk__in=[kept.pk, merged.pk])
            .order_by("pk")
        }
        if len(locked) != 2:
            raise MergeError("One of the two customers no longer exists.")
        if is_erased(kept.pk) or is_erased(merged.pk):
            raise MergeError("An erased customer cannot be merged.")
        kept, merged = locked[kept.pk], locked[merged.pk]
        moved = [
            {"model": relation.label, "field": relation.field.name, "pks": pks}
            for relation in customer_relations()
            if (pks := move_rows(relation, merged.pk, kept.pk))
        ]
        kept_before = fill_empty_fields(kept, merged)
        snapshot = {"customer": serialise([merged]), "left_behind": serialise(left_behind(merged))}
        merged_id = merged.pk
        merged.delete()
        # The kept record's pressure now counts the merged one's solicitations too.
        pressure.rebuild_pressure_state(customer=kept)
        record = MergeRecord.objects.create(
            kept_id=kept.pk,
            merged_id=merged_id,
            merged_by=who.name,
            snapshot=snapshot,
            moved=moved,
            kept_before=kept_before,
        )
        record_action(
            actor=who,
            action=AuditEntry.Action.MERGED,
            customer_id=kept.pk,
            details={
                "merge": record.pk,
                "merged_customer": merged_id,
                "moved": moved_counts(moved),
            },
        )
        record_action(
            actor=who,
            action=AuditEntry.Action.MERGED,
            customer_id=merged_id,
            details={"merge": record.pk, "kept_customer": kept.pk},
        )
    return record


def move_rows(relation: Relation, from_id: int, to_id: int) -> list[Any]:
    """Point the relation's rows at the kept record, except those it already has."""
    if relation.label == LEDGER:
        return consents.move_consent_records(from_customer_id=from_id, to_customer_id=to_id)
    rows = relation.rows_of(from_id)
    if relation.model is Customer:
        # People of a merged company move to the kept one, but the kept record is not made
        # its own company.
        rows = rows.exclude(pk=to_id)
    for names in unique_field_sets(relation.model, relation.field):
        others = [name for name in names if name != relation.field.name]
        taken = relation.rows_of(to_id)
        if not others:
            if taken.exists():
                return []  # The kept record has its own: this one stays behind.
            continue
        attnames = [relation.model._meta.get_field(name).attname for name in others]
        taken_keys = set(taken.values_list(*attnames))
        clashing = [
            pk for pk, *key in rows.values_list("pk", *attnames) if tuple(key) in taken_keys
        ]
        rows = rows.exclude(pk__in=clashing)
    pks = list(rows.values_list("pk", flat=True))
    relation.model._base_manager.filter(pk__in=pks).update(**{relation.field.attname: to_id})
    return pks


def fill_empty_fields(kept: Customer, merged: Customer) -> dict[str, Any]:
    """Copy to `kept` the profile fields it lacks; return their former values, serialised."""
    before: dict[str, Any] = {}
    for field in Customer._meta.concrete_fields:
        if field.primary_key or getattr(field, "auto_now", False) or field.auto_created:
            continue
        if getattr(field, "auto_now_add", False):
            continue
        ours, theirs = field.value_from_object(kept), field.value_from_object(merged)
        if theirs in (None, "", [], {}) or (field.is_relation and theirs == kept.pk):
            continue
        if isinstance(ours, dict) and isinstance(theirs, dict):
            # Custom fields: the kept record's values win, the merged one fills the others.
            if theirs.keys() - ours.keys():
                before[field.attname] = field.value_to_string(kept)
                setattr(kept, field.attname, theirs | ours)
            continue
        # A "last … at" date is the latest of both; every other field only fills a gap.
        latest_wins = field.name.startswith("last_") and isinstance(field, models.DateTimeField)
        if ours in (None, "", [], {}) or (latest_wins and theirs > ours):
            before[field.attname] = None if ours is None else field.value_to_string(kept)
            setattr(kept, field.attname, theirs)
    if before:
        # Kept too, so that an undo leaves the kept record exactly as it was.
        before["updated_at"] = Customer._meta.get_field("updated_at").value_to_string(kept)
        kept.save(update_fields=list(before))
    return before


def left_behind(merged: Customer) -> list[models.Model]:
    """Return every row that deleting `merged` would take with it (what did not move)."""
    collector = NestedObjects(using=router.db_for_write(Customer))
    collector.collect([merged])
    return [
        instance
        for model, instances in collector.data.items()
        for instance in instances
        if model is not Customer
    ]


class ExactEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, without its rounding of times to the millisecond: an undo is exact."""

    def default(self, o: Any) -> Any:
        if isinstance(o, (datetime.datetime, datetime.time)):
            return o.isoformat()
        return super().default(o)


def serialise(instances: list[models.Model]) -> list[dict[str, Any]]:
    """Return the rows in Django's serialised form, as JSON-ready values."""
    return json.loads(json.dumps(serializers.serialize("python", instances), cls=ExactEncoder))


def moved_counts(moved: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in moved:
        counts[entry["model"]] = counts.get(entry["model"], 0) + len(entry["pks"])
    return counts


def undo_merge(*, record: MergeRecord, actor: Agent | Actor) -> Customer:
    """Rebuild the merged record and move back exactly the rows the merge moved.

    Rows added to the kept record since the merge stay there; a moved row deleted since is
    not brought back. Returns the restored customer.
    """
    who = Actor.of(actor)
    with transaction.atomic():
        record = MergeRecord.objects.select_for_update().get(pk=record.pk)
        if not record.can_be_undone:
            raise MergeError("This merge has already been undone or can no longer be undone.")
        if not Customer.objects.filter(pk=record.kept_id).exists():
            raise MergeError("The kept customer no longer exists.")
        if Customer.objects.filter(pk=record.merged_id).exists():
            raise MergeError("The merged customer already exists again.")
        for restored in serializers.deserialize(
            "python", record.snapshot["customer"] + record.snapshot["left_behind"]
        ):
            restored.save()
        for entry in record.moved:
            move_back(entry, record.kept_id, record.merged_id)
        restore_kept_fields(record.kept_id, record.kept_before)
        for customer in Customer.objects.filter(pk__in=[record.kept_id, record.merged_id]):
            pressure.rebuild_pressure_state(customer=customer)
        MergeRecord.objects.filter(pk=record.pk).update(
            undone_at=timezone.now(), undone_by=who.name, snapshot={}
        )
        for customer_id in (record.kept_id, record.merged_id):
            record_action(
                actor=who,
                action=AuditEntry.Action.UNMERGED,
                customer_id=customer_id,
                details={"merge": record.pk},
            )
    return Customer.objects.get(pk=record.merged_id)


def move_back(entry: dict[str, Any], kept_id: int, merged_id: int) -> None:
    if entry["model"] == LEDGER:
        consents.move_consent_records(
            from_customer_id=kept_id, to_customer_id=merged_id, record_ids=entry["pks"]
        )
        return
    model = Customer._meta.apps.get_model(entry["model"])
    field = model._meta.get_field(entry["field"])
    # Only rows still on the kept record: one moved elsewhere since is left where it is.
    model._base_manager.filter(pk__in=entry["pks"], **{field.attname: kept_id}).update(
        **{field.attname: merged_id}
    )


def restore_kept_fields(kept_id: int, kept_before: dict[str, Any]) -> None:
    if not kept_before:
        return
    fields = {field.attname: field for field in Customer._meta.concrete_fields}
    # A queryset update: save() would stamp updated_at with the time of the undo.
    Customer.objects.filter(pk=kept_id).update(
        **{
            attname: None if text is None else fields[attname].to_python(text)
            for attname, text in kept_before.items()
        }
    )
