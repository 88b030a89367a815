"""The exchange log: one row per call, nothing secret in it, and it outlives the caller's rollback."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import transaction
from django.forms.models import model_to_dict

from audit.models import Exchange
from invoicing.rules.taxid import make_uscc
from invoicing.taxapi import errors, exchange_log
from stores.models import Company

from .conftest import Reply, make_provider
from .helpers import exchange_rows, sample_invoice


def _company(suffix: str = "5") -> Company:
    return Company.objects.create(name="上海示例", tax_id=make_uscc("91310000MA1FL8XQ" + suffix), platform_unit_id="U1")


@pytest.mark.django_db(databases="__all__")
def test_it_keeps_secrets_signatures_nonces_and_ciphertext_out_of_rows_and_logs(fake_platform, caplog):
    caplog.set_level(logging.DEBUG)
    provider = make_provider(fake_platform, read_timeout=0.3)
    fake_platform.answer({"sllsh": "SL-9"})
    provider.upload_invoices(invoices=[sample_invoice("26317000000000000001")])
    fake_platform.answer({}, returncode="14", returnmsg="受理流水号不存在或已过期")
    with pytest.raises(errors.BusinessError):
        provider.upload_result(acceptance_serial="SL-0")
    fake_platform.error("1001", "签名验证失败", 401)
    with pytest.raises(errors.PermanentError):
        provider.query_quota()
    fake_platform.reply(Reply(200, b"{}", delay=1.0))
    with pytest.raises(errors.UnknownOutcomeError):
        provider.query_quota()

    rows = exchange_rows(provider)
    assert [row.outcome for row in rows] == ["ok", "business_error", "permanent", "unknown"]
    assert rows[0].request[0]["fphm"] == "26317000000000000001"
    assert rows[0].response == {"returncode": "00", "returnmsg": "成功", "sllsh": "SL-9"}
    forbidden = {fake_platform.secret_hex, fake_platform.secret_hex.upper()}
    for received in fake_platform.received:
        forbidden |= {received.headers["access_signature"], received.headers["nonce"], received.body[:40]}
    dumped = json.dumps([model_to_dict(row) for row in rows], ensure_ascii=False, default=str)
    for secret in forbidden:
        assert secret not in dumped
        assert secret not in caplog.text
    assert all(len(row.trace_id) == 32 for row in rows)
    assert [row.trace_id for row in rows] == [r.headers["clientTid"] for r in fake_platform.received]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_row_survives_the_callers_rollback(fake_platform):
    assert exchange_log.log_alias() == "exchange_log"  # config/settings.py always defines it
    company = _company()
    provider = make_provider(fake_platform, company_id=company.pk)
    fake_platform.answer({"sllsh": "SL-1"})
    with pytest.raises(RuntimeError), transaction.atomic():
        provider.upload_invoices(invoices=[sample_invoice("26317000000000000001")])
        raise RuntimeError("the caller failed after the upload")
    [row] = exchange_rows(provider)
    assert (row.company_id, row.outcome, row.refs) == (company.pk, "ok", ["26317000000000000001", "SL-1"])


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_it_does_not_deadlock_when_the_caller_locks_the_company(fake_platform, monkeypatch):
    assert exchange_log.log_alias() == "exchange_log"  # config/settings.py always defines it
    monkeypatch.setattr(exchange_log, "LOCK_TIMEOUT_MS", 200)
    company = _company()
    provider = make_provider(fake_platform, company_id=company.pk)
    fake_platform.answer({"slList": []})
    with transaction.atomic():
        Company.objects.select_for_update().get(pk=company.pk)
        provider.usable_rates()  # the row's FK check would wait for this very transaction
        # Deferred to the caller's commit: not there yet, on either connection.
        assert not Exchange.objects.using("exchange_log").filter(unit_id=provider.unit_id).exists()
        assert not Exchange.objects.filter(unit_id=provider.unit_id).exists()
    [row] = exchange_rows(provider)
    assert row.outcome == "ok"


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_without_the_alias_it_writes_at_once_or_on_commit(fake_platform, monkeypatch):
    monkeypatch.setattr(exchange_log, "log_alias", lambda: None)
    provider = make_provider(fake_platform)
    fake_platform.answer({"slList": []})
    provider.usable_rates()
    assert len(exchange_rows(provider)) == 1
    fake_platform.answer({"slList": []})
    with transaction.atomic():
        provider.usable_rates()
        assert Exchange.objects.filter(unit_id=provider.unit_id).count() == 1  # the second waits for commit
    assert len(exchange_rows(provider)) == 2
