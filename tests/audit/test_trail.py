import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import Actor, audit_record, row_digest
from stores.services import store_update

pytestmark = pytest.mark.django_db


def test_it_records_rollout_changes_with_before_and_after(tenants):
    store_update(store=tenants.a1, actor=Actor.for_user(tenants.hq_admin), rollout_percent=30)
    event = AuditEvent.objects.get(action="store.rollout_changed")
    assert event.before["rollout_percent"] == 100 and event.after["rollout_percent"] == 30
    assert event.company_id == tenants.a.pk and event.actor_user_id == tenants.hq_admin.pk


def test_it_chains_events_per_company(tenants):
    for pct in (10, 20, 30):
        store_update(store=tenants.a1, actor=Actor.system(), rollout_percent=pct)
    events = list(AuditEvent.objects.filter(company=tenants.a).order_by("seq"))
    for prev, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == prev.row_hash and event.seq == prev.seq + 1
    last = events[-1]
    assert last.row_hash == row_digest(
        prev_hash=last.prev_hash, company_id=last.company_id, seq=last.seq, created_at=last.created_at,
        actor_type=last.actor_type, actor_label=last.actor_label, action=last.action,
        object_type=last.object_type, object_id=last.object_id, before=last.before, after=last.after)


def test_it_refuses_update_and_delete_in_the_database(tenants):
    store_update(store=tenants.a1, actor=Actor.system(), rollout_percent=5)
    event = AuditEvent.objects.filter(company=tenants.a).last()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "store.rollout_changed"


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_audit_outside_a_transaction():
    from tests.factories import CompanyFactory

    company = CompanyFactory()
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=Actor.system(), action="x.y", obj=company, company=company)
    assert not AuditEvent.objects.exists()
