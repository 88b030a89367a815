import gzip
import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from audit.chain import ArchiveError, archive_before, verify_all, verify_chain
from audit.models import AuditEvent
from audit.services import Actor
from stores.services import store_update

pytestmark = pytest.mark.django_db


def make_events(store, n, *, at=None):
    with mock.patch("audit.services.timezone.now", return_value=at or timezone.now()):
        for i in range(n):
            store_update(store=store, actor=Actor.system(), rollout_percent=(i * 7) % 101)


def tamper(sql, params):
    """What a database superuser could do: switch triggers off for the session and edit."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


def test_it_verifies_an_intact_chain(tenants):
    make_events(tenants.a1, 5)
    assert verify_all() == []


def test_it_reports_the_first_tampered_row(tenants):
    make_events(tenants.a1, 5)
    third = AuditEvent.objects.filter(company=tenants.a).order_by("seq")[2]
    tamper("UPDATE audit_auditevent SET after = %s WHERE id = %s", [json.dumps({"rollout_percent": 99}), third.id])
    broken = verify_chain(tenants.a.pk)
    assert broken.seq == third.seq and "篡改" in broken.reason


def test_it_reports_a_deleted_row(tenants):
    make_events(tenants.a1, 5)
    second = AuditEvent.objects.filter(company=tenants.a).order_by("seq")[1]
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [second.id])
    broken = verify_chain(tenants.a.pk)
    assert broken.seq == second.seq and "缺少" in broken.reason


def test_it_reports_a_deleted_last_row(tenants):
    make_events(tenants.a1, 3)
    last = AuditEvent.objects.filter(company=tenants.a).order_by("seq").last()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [last.id])
    assert "末尾" in verify_chain(tenants.a.pk).reason


def test_the_verify_command_exits_non_zero_on_a_break(tenants, capsys):
    make_events(tenants.a1, 2)
    call_command("verify_audit_chain")
    assert "审计链完整" in capsys.readouterr().out
    first = AuditEvent.objects.filter(company=tenants.a).order_by("seq").first()
    tamper("UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s", [first.id])
    with pytest.raises(SystemExit) as exc:
        call_command("verify_audit_chain")
    assert exc.value.code == 1
    assert f"第 {first.seq} 条" in capsys.readouterr().out


def test_it_archives_old_rows_round_trip_and_keeps_the_chain_verifiable(tenants, tmp_path):
    old = timezone.now() - timedelta(days=365 * 6)
    make_events(tenants.a1, 4, at=old)
    make_events(tenants.a1, 3)
    cutoff = timezone.now() - timedelta(days=365 * 5 + 5)
    summary = archive_before(cutoff=cutoff, out_dir=tmp_path)
    assert summary["events"] == 4
    assert AuditEvent.objects.filter(company=tenants.a).count() == 3
    assert verify_all() == []
    (path,) = [p for p in summary["files"] if "audit-" in p]
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4]
    assert rows[-1]["row_hash"] == AuditEvent.objects.filter(company=tenants.a).order_by("seq").first().prev_hash


def test_it_refuses_to_archive_anything_younger_than_five_years(tenants, tmp_path):
    make_events(tenants.a1, 2)
    with pytest.raises(ArchiveError, match="5年以前"):
        archive_before(cutoff=timezone.now() - timedelta(days=365 * 4), out_dir=tmp_path)
    assert AuditEvent.objects.filter(company=tenants.a).count() == 2


def test_the_nightly_job_mails_hq_on_a_break(tenants, mailoutbox, settings):
    from audit.jobs import verify_audit_chains

    settings.HQ_ALERT_EMAILS = ["hq@example.com"]
    make_events(tenants.a1, 2)
    assert verify_audit_chains() == 0 and mailoutbox == []
    first = AuditEvent.objects.filter(company=tenants.a).order_by("seq").first()
    tamper("UPDATE audit_auditevent SET action = 'x' WHERE id = %s", [first.id])
    assert verify_audit_chains() == 1
    assert mailoutbox[0].to == ["hq@example.com"] and "审计链校验失败" in mailoutbox[0].subject


def test_every_periodic_job_imports():
    import importlib

    from config.cron_jobs import PERIODIC_JOBS

    for path, queue, interval in PERIODIC_JOBS:
        module, _, name = path.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), path
        assert queue in ("tax", "delivery", "reports", "default") and interval > 0
