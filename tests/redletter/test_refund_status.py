"""Row 9 of issue 13: a refund is ``reversed`` only when its red invoice is issued, and a failed
red invoice shows on the refund (real pipeline, sandbox over HTTP)."""

from audit.services import Actor
from invoicing.issuing import pipeline
from invoicing.issuing.actions import invoice_resubmit
from invoicing.models import Invoice, Refund
from invoicing.redletter import refunds
from tests.redletter.conftest import issue_blue, run_jobs


def _refund(shop, order_no: str, refund_id: str):
    return shop.api.post("/api/v1/refunds", {
        "refund_id": refund_id, "order_no": order_no, "amount": "113.00", "refunded_at": "2025-01-02T10:00:00+08:00",
        "lines": [{"line_no": 1, "quantity": "1", "amount": "113.00"}]})


def test_a_refund_whose_red_invoice_fails_is_not_reversed_and_says_why(shop, monkeypatch):
    issue_blue(shop, order_no="RS-1")
    real_payload = pipeline.invoice_payload

    def red_with_wrong_total(invoice, lines):
        payload = real_payload(invoice, lines)
        if invoice.kind == Invoice.Kind.RED:
            payload["hjje"] = "-1.00"  # the platform's own check refuses it
        return payload

    monkeypatch.setattr(pipeline, "invoice_payload", red_with_wrong_total)
    assert _refund(shop, "RS-1", "RS-RF-1").status_code == 201
    assert refunds.refunds_reverse_pending()["reversed"] == 1
    run_jobs()
    refund = Refund.objects.get(refund_id="RS-RF-1")
    red = refund.red_invoice
    assert red.status == Invoice.Status.FAILED and red.failure_code == "platform_refused"
    assert refund.status == Refund.Status.AWAITING_RED_LETTER
    answer = shop.api.get("/api/v1/orders/RS-1").json()["refunds"][0]
    assert answer["status"] == "awaiting_red_letter"
    assert answer["red_invoice"]["status"] == "failed"
    assert answer["red_invoice"]["failure"]["message"].startswith("税务平台拒绝：")

    monkeypatch.undo()
    invoice_resubmit(invoice=red, actor=Actor.system())
    run_jobs()
    refund.refresh_from_db()
    assert (refund.status, refund.red_invoice.status) == (Refund.Status.REVERSED, Invoice.Status.ISSUED)
    answer = shop.api.get("/api/v1/orders/RS-1").json()["refunds"][0]
    assert (answer["status"], answer["red_invoice"]["status"]) == ("reversed", "issued")
