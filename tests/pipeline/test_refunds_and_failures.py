"""Refunds before/after invoicing; local and platform failures, and resubmitting a fixed invoice."""

from decimal import Decimal

from audit.services import Actor
from invoicing.issuing import pipeline
from invoicing.issuing.actions import invoice_resubmit
from invoicing.models import Invoice, InvoiceLine, Order, Refund
from invoicing.orders import selectors
from sandbox.models import UploadedInvoice
from tests.pipeline.conftest import an_order, connect_company, run_jobs

REFUNDED_AT = "2025-01-02T10:00:00+08:00"


def refund(order_no, refund_id, amount, lines=None):
    body = {"refund_id": refund_id, "order_no": order_no, "refunded_at": REFUNDED_AT, "amount": amount}
    if lines is not None:
        body["lines"] = lines
    return body


def test_a_full_refund_before_invoicing_cancels_the_draft(shop):
    shop.a1.rollout_percent = 0
    shop.a1.save()
    shop.api.post("/api/v1/orders", an_order("RF-1"))
    response = shop.api.post("/api/v1/refunds", refund("RF-1", "R-1", "119.54"))
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "applied"
    assert Invoice.objects.get().status == "cancelled"
    assert Order.objects.get().status == "refunded"
    again = shop.api.post("/api/v1/refunds", refund("RF-1", "R-1", "119.54"))
    assert again.status_code == 200
    other = shop.api.post("/api/v1/refunds", refund("RF-1", "R-1", "10.00", [{"line_no": 1, "amount": "10.00"}]))
    assert other.status_code == 409 and other.json()["error"]["code"] == "refund_id_conflict"
    assert Refund.objects.count() == 1


def test_a_partial_refund_shrinks_the_pending_invoice_before_upload(shop):
    shop.api.post("/api/v1/orders", an_order("RF-2"))  # cheese 2 × 56.50 = 113.00, radish 6.54
    response = shop.api.post("/api/v1/refunds", refund("RF-2", "R-2", "56.50", [{"line_no": 1, "quantity": "1", "amount": "56.50"}]))
    assert response.status_code == 201, response.text
    invoice = Invoice.objects.get()
    assert invoice.total_with_tax == Decimal("63.04")
    assert InvoiceLine.objects.get(invoice=invoice, line_no=1).quantity == 1
    run_jobs()
    invoice.refresh_from_db()
    assert invoice.status == "issued"
    assert UploadedInvoice.objects.get(fphm=invoice.number).jshj == Decimal("63.04")


def test_a_partial_refund_before_invoicing_needs_lines(shop):
    shop.api.post("/api/v1/orders", an_order("RF-3"))
    response = shop.api.post("/api/v1/refunds", refund("RF-3", "R-3", "10.00"))
    assert response.status_code == 422 and response.json()["error"]["code"] == "refund_lines_required"
    assert Refund.objects.count() == 0 and Invoice.objects.get().total_with_tax == Decimal("119.54")


def test_a_refund_after_issue_waits_for_a_red_letter(shop):
    shop.api.post("/api/v1/orders", an_order("RF-4"))
    run_jobs()
    response = shop.api.post("/api/v1/refunds", refund("RF-4", "R-4", "113.00", [{"line_no": 1, "amount": "113.00"}]))
    assert response.status_code == 201 and response.json()["status"] == "awaiting_red_letter"
    waiting = list(selectors.refunds_awaiting_red_letter(company=shop.company))
    assert [r.refund_id for r in waiting] == ["R-4"]
    assert Invoice.objects.get().status == "issued"
    too_much = shop.api.post("/api/v1/refunds", refund("RF-4", "R-5", "5.00", [{"line_no": 1, "amount": "5.00"}]))
    assert too_much.status_code == 422 and too_much.json()["error"]["code"] == "refund_line_exceeds"


def test_a_locally_invalid_invoice_fails_without_upload_and_can_be_fixed(shop):
    shop.api.post("/api/v1/orders", an_order("BAD-1"))
    line = InvoiceLine.objects.get(line_no=1)
    line.tax = Decimal("1.00")  # far from amount × rate: the local rules refuse it
    line.save()
    run_jobs()
    invoice = Invoice.objects.get()
    assert invoice.status == "failed" and invoice.failure_code == "validation"
    assert "税额" in invoice.failure_message and invoice.number is None
    assert UploadedInvoice.objects.count() == 0
    line.tax = Decimal("13.00")
    line.save()
    invoice_resubmit(invoice=invoice, actor=Actor.system())
    run_jobs()
    invoice.refresh_from_db()
    assert invoice.status == "issued"


def test_a_platform_refusal_is_shown_and_the_number_reused_on_resubmit(shop, monkeypatch):
    real_payload = pipeline.invoice_payload

    def wrong_total(invoice, lines):
        payload = real_payload(invoice, lines)
        payload["hjje"] = "1.00"  # the platform's own check catches it
        return payload

    monkeypatch.setattr(pipeline, "invoice_payload", wrong_total)
    shop.api.post("/api/v1/orders", an_order("REF-1"))
    run_jobs()
    invoice = Invoice.objects.get()
    assert invoice.status == "failed" and invoice.failure_code == "platform_refused"
    assert invoice.failure_message.startswith("税务平台拒绝：")
    number = invoice.number
    answer = shop.api.get("/api/v1/orders/REF-1").json()
    assert answer["invoices"][0]["failure"]["code"] == "platform_refused"
    monkeypatch.undo()
    invoice_resubmit(invoice=invoice, actor=Actor.system())
    run_jobs()
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.number == number
    assert UploadedInvoice.objects.filter(fphm=number, status="00").count() == 1


def test_a_taxpayer_not_in_normal_state_is_refused_before_upload(shop):
    from invoicing.models import PlatformState  # noqa: F401 - the state row is created on demand

    shop.control("post", "units", {"nsrsbh": shop.company.tax_id, "nsrmc": shop.company.name, "nsrztdm": "05"})
    connect_company(shop.base, shop.company)
    shop.api.post("/api/v1/orders", an_order("TP-1"))
    run_jobs()
    invoice = Invoice.objects.get()
    assert invoice.status == "failed" and invoice.failure_code == "taxpayer_status"
    assert UploadedInvoice.objects.count() == 0


def test_a_quota_refusal_advises_the_tax_office_not_editing_the_invoice(shop, client):
    """Regression: 授信额度不足 advised "请修改购买方或明细", which cannot help; each reason has its own advice."""
    from stores.models import Role
    from tests.factories import user_with_role

    shop.control("post", "units", {"nsrsbh": shop.company.tax_id, "nsrmc": shop.company.name, "zsxed": "1.00"})
    connect_company(shop.base, shop.company)
    shop.api.post("/api/v1/orders", an_order("QUOTA-1"))
    run_jobs()
    invoice = Invoice.objects.get()
    assert invoice.status == "failed" and invoice.failure_code == "quota"
    manager = user_with_role(Role.STORE_MANAGER, store=shop.a1)
    client.force_login(manager)
    body = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "授信额度不足" in body
    assert "请联系主管税务机关申请调整授信额度，或等待额度调整" in body
    assert "请修改购买方或明细" not in body
