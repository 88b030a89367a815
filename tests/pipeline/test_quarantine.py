"""Item 1 of issue 13: a bad invoice fails alone. Whatever raises while one invoice of a batch is
prepared, that invoice is failed with a Chinese reason and the batch takes the others (quarantine,
not a retry loop). Real pipeline, PostgreSQL, Redis and the sandbox over HTTP."""

from audit.services import Actor
from invoicing.issuing import pipeline
from invoicing.issuing.actions import invoice_resubmit
from invoicing.models import Invoice
from tests.pipeline.conftest import an_order, run_jobs


def _post(shop, *order_nos):
    response = shop.api.post("/api/v1/orders/batch", {"orders": [an_order(no) for no in order_nos]})
    assert response.status_code == 200 and response.json()["summary"]["201"] == len(order_nos)


def _statuses():
    return dict(Invoice.objects.values_list("order__order_no", "status"))


def test_an_invoice_that_cannot_be_checked_fails_alone(shop, monkeypatch):
    real = pipeline.draft_from_invoice

    def explodes_for_one(invoice, lines):
        if invoice.order.order_no == "Q-BAD":
            raise ValueError("cannot build a draft from this row")
        return real(invoice, lines)

    monkeypatch.setattr(pipeline, "draft_from_invoice", explodes_for_one)
    _post(shop, "Q-1", "Q-BAD", "Q-2")
    run_jobs()
    assert _statuses() == {"Q-1": "issued", "Q-BAD": "failed", "Q-2": "issued"}
    bad = Invoice.objects.get(order__order_no="Q-BAD")
    assert bad.failure_code == "unpreparable" and bad.number is None
    assert bad.failure_message.startswith("发票数据无法处理（ValueError），已单独暂停，同批其他发票照常开具")
    assert bad.order.status == "invoice_failed"
    # Quarantine, not a retry loop: later runs leave it alone.
    pipeline.schedule_company_batch(shop.company.pk)
    run_jobs()
    bad.refresh_from_db()
    assert (bad.status, bad.events.count()) == ("failed", 2)


def test_an_invoice_whose_upload_request_cannot_be_built_fails_alone_and_keeps_its_number(shop, monkeypatch):
    real = pipeline.invoice_payload

    def explodes_for_one(invoice, lines):
        if invoice.order.order_no == "P-BAD":
            raise TypeError("unserialisable")
        return real(invoice, lines)

    monkeypatch.setattr(pipeline, "invoice_payload", explodes_for_one)
    _post(shop, "P-1", "P-BAD", "P-2")
    run_jobs()
    assert _statuses() == {"P-1": "issued", "P-BAD": "failed", "P-2": "issued"}
    bad = Invoice.objects.get(order__order_no="P-BAD")
    assert bad.failure_code == "unpreparable" and bad.number  # it never left us: reused on resubmit
    number = bad.number

    monkeypatch.undo()
    invoice_resubmit(invoice=bad, actor=Actor.system())
    run_jobs()
    bad.refresh_from_db()
    assert (bad.status, bad.number) == ("issued", number)
