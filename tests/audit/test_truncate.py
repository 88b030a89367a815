"""The audit trail cannot be emptied (issue 13, row 4): TRUNCATE is refused, and a trail emptied
behind the triggers' back (a superuser with triggers off) is reported by verify_audit_chain."""

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from audit.chain import verify_all, verify_chain
from audit.models import AuditChainHead, AuditEvent, Exchange
from tests.audit.test_chain import make_events, tamper


def psql():
    """A plain connection as an operator at a psql prompt has it: none of the test suite's flags."""
    db = connection.settings_dict
    return psycopg.connect(dbname=db["NAME"], user=db["USER"], password=db.get("PASSWORD") or None,
                           host=db.get("HOST") or None, port=db.get("PORT") or None, autocommit=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("statement", [
    "TRUNCATE audit_auditevent",
    "TRUNCATE audit_exchange",
    "TRUNCATE audit_auditchainhead",
    "TRUNCATE audit_auditevent, audit_exchange, audit_auditchainhead",
    "TRUNCATE stores_company CASCADE",  # reaches the audit tables through their foreign keys
    "DELETE FROM audit_auditchainhead",
])
def test_it_refuses_to_empty_the_audit_tables(tenants, statement):
    make_events(tenants.a1, 3)
    Exchange.objects.create(company=tenants.a, created_at=timezone.now(), service="QDFPSC", outcome="ok")
    before = (AuditEvent.objects.count(), Exchange.objects.count(), AuditChainHead.objects.count())
    with psql() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute(statement)
    assert (AuditEvent.objects.count(), Exchange.objects.count(), AuditChainHead.objects.count()) == before
    assert verify_all() == []


@pytest.mark.django_db
def test_a_truncated_trail_is_reported_with_the_rows_the_head_covers(tenants, capsys):
    make_events(tenants.a1, 4)
    make_events(tenants.b1, 2)
    tamper("TRUNCATE audit_auditevent", [])  # what a superuser with triggers off could still do
    broken = {b.company_id: b for b in verify_all()}
    assert set(broken) == {tenants.a.pk, tenants.b.pk}
    assert broken[tenants.a.pk].seq == 1
    assert "已没有任何审计记录" in broken[tenants.a.pk].reason and "第 1–4 条" in broken[tenants.a.pk].reason
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit_chain")
    assert exc.value.code == 1
    out = capsys.readouterr().out
    assert f"公司 {tenants.a.pk}" in out and f"公司 {tenants.b.pk}" in out and "审计链已损坏：2 条链" in out
    assert "审计链完整" not in out


@pytest.mark.django_db
def test_a_deleted_tail_of_several_rows_names_the_first_missing_one(tenants):
    make_events(tenants.a1, 6)
    tail = AuditEvent.objects.filter(company=tenants.a, seq__gt=3).values_list("id", flat=True)
    tamper("DELETE FROM audit_auditevent WHERE id = ANY(%s)", [list(tail)])
    broken = verify_chain(tenants.a.pk)
    assert broken.seq == 4
    assert "记录只到第 3 条" in broken.reason and "链头记载到第 6 条" in broken.reason


@pytest.mark.django_db
def test_a_company_with_invoices_whose_whole_chain_is_gone_is_reported(tenants):
    from tests.web.conftest import make_invoice

    make_invoice(tenants.a1)
    make_events(tenants.a1, 2)
    tamper("DELETE FROM audit_auditevent WHERE company_id = %s", [tenants.a.pk])
    tamper("DELETE FROM audit_auditchainhead WHERE company_id = %s", [tenants.a.pk])
    (broken,) = verify_all()
    assert broken.company_id == tenants.a.pk and "没有任何审计记录" in broken.reason


@pytest.mark.django_db
def test_a_company_that_never_had_a_row_is_not_a_break(tenants):
    make_events(tenants.a1, 1)  # company b has stores but never did anything audited
    assert verify_all() == []
    call_command("verify_audit_chain")
