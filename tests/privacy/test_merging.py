"""Merge moves everything to the kept record; undo puts back exactly what was there."""

import pytest

from comptoir.consents.models import ConsentRecord, Preference
from comptoir.conversations.models import Conversation, Message
from comptoir.customers.models import BusinessEvent, Customer, Identity, ProfileChange
from comptoir.privacy.merging import MergeError, merge_customers, undo_merge
from comptoir.privacy.models import AuditEntry, MergeRecord
from comptoir.privacy.relations import customer_relations
from tests.privacy.conftest import dump_database

pytestmark = pytest.mark.django_db(transaction=True)


def rows_pointing_at(customer_id: int) -> dict[str, int]:
    return {
        relation.label: count
        for relation in customer_relations()
        if (count := relation.rows_of(customer_id).count())
    }


def test_merge_moves_everything_to_the_kept_record(philomene, paul, admin_agent):
    Customer.objects.filter(pk=paul.pk).update(company_name="Durand SARL", custom_fields={})
    Customer.objects.filter(pk=philomene.pk).update(
        language="fr", custom_fields={"loyalty": "gold"}
    )
    paul.refresh_from_db()
    before = rows_pointing_at(philomene.pk)
    kept_had = rows_pointing_at(paul.pk)

    record = merge_customers(kept=paul, merged=philomene, actor=admin_agent)

    assert not Customer.objects.filter(pk=philomene.pk).exists()
    after = rows_pointing_at(paul.pk)
    # Every row moved, but the preferences and the segment membership: Paul had his own.
    for label, count in before.items():
        expected = kept_had.get(label, 0) + count
        if label in {"consents.preference", "customers.segment_customers"}:
            expected = kept_had[label]
        assert after[label] == expected, label
    assert Conversation.objects.filter(customer=paul).count() == 2
    assert Message.objects.filter(customer=paul).count() == 5  # emails and answers
    assert Identity.objects.filter(customer=paul).count() == 3
    assert ConsentRecord.objects.filter(customer=paul).count() == 4
    paul.refresh_from_db()
    # Gaps filled from the merged record; what Paul had stays.
    assert (paul.first_name, paul.company_name, paul.language) == ("Paul", "Durand SARL", "fr")
    assert paul.custom_fields == {"loyalty": "gold"}
    assert record.moved_count == sum(before.values()) - 2
    assert [e.action for e in AuditEntry.objects.filter(customer_id=paul.pk)] == ["merged"]
    assert AuditEntry.objects.filter(customer_id=philomene.pk, action="merged").exists()


def test_undo_restores_every_table_exactly(philomene, paul, admin_agent):
    Customer.objects.filter(pk=philomene.pk).update(language="fr")
    state = dump_database()

    record = merge_customers(kept=paul, merged=philomene, actor=admin_agent)
    assert dump_database() != state
    restored = undo_merge(record=record, actor=admin_agent)

    assert restored.pk == philomene.pk
    assert dump_database() == state
    record.refresh_from_db()
    assert record.undone_at is not None and not record.can_be_undone
    with pytest.raises(MergeError):
        undo_merge(record=record, actor=admin_agent)
    assert AuditEntry.objects.filter(action="unmerged").count() == 2


def test_rows_added_after_the_merge_stay_with_the_kept_record(philomene, paul, admin_agent):
    record = merge_customers(kept=paul, merged=philomene, actor=admin_agent)
    later = BusinessEvent.objects.create(
        customer=paul, kind="order_placed", occurred_at="2026-11-24T10:00:00Z"
    )

    undo_merge(record=record, actor=admin_agent)

    later.refresh_from_db()
    assert later.customer_id == paul.pk
    assert BusinessEvent.objects.filter(customer=philomene).count() == 1
    assert ProfileChange.objects.filter(customer=philomene).count() == 1
    assert Preference.objects.filter(customer=philomene).exists()


def test_a_merge_is_refused_into_itself_or_with_an_erased_record(philomene, paul, admin_agent):
    from comptoir.privacy.erasure import erase_customer

    with pytest.raises(MergeError):
        merge_customers(kept=paul, merged=paul, actor=admin_agent)
    erase_customer(customer=philomene, actor=admin_agent)
    with pytest.raises(MergeError):
        merge_customers(kept=paul, merged=philomene, actor=admin_agent)
    assert not MergeRecord.objects.exists()


def test_erasing_the_kept_record_forgets_the_undo_snapshot(philomene, paul, admin_agent):
    from comptoir.privacy.erasure import erase_customer

    record = merge_customers(kept=paul, merged=philomene, actor=admin_agent)
    erase_customer(customer=paul, actor=admin_agent)

    record.refresh_from_db()
    assert record.snapshot == {} and not record.can_be_undone
    with pytest.raises(MergeError):
        undo_merge(record=record, actor=admin_agent)
