"""One paid order through the API to an issued invoice, visible via the API and in the database."""

from decimal import Decimal

from audit.chain import verify_chain
from audit.models import AuditEvent
from invoicing.models import Invoice, InvoiceEvent, Order, StoreDayStats, UploadBatch
from sandbox.models import UploadedInvoice
from tests.pipeline.conftest import an_order, run_jobs


def test_it_issues_an_order_end_to_end(shop):
    order = an_order("A1-0001")
    response = shop.api.post("/api/v1/orders", order)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["order_no"] == "A1-0001" and body["total"] == "119.54"
    assert body["invoices"][0]["status"] == "pending"

    run_jobs()

    invoice = Invoice.objects.get(order__order_no="A1-0001")
    assert invoice.status == Invoice.Status.ISSUED, (invoice.failure_message, UploadBatch.objects.values())
    assert len(invoice.number) == 20 and invoice.total_with_tax == Decimal("119.54")
    assert invoice.lines.count() == 2
    assert Order.objects.get(order_no="A1-0001").status == Order.Status.INVOICED
    held = UploadedInvoice.objects.get(fphm=invoice.number, status="00")
    assert held.jshj == invoice.total_with_tax

    answer = shop.api.get("/api/v1/orders/A1-0001").json()
    assert answer["invoices"][0]["status"] == "issued" and answer["invoices"][0]["number"] == invoice.number

    steps = list(InvoiceEvent.objects.filter(invoice=invoice).values_list("status_to", flat=True))
    assert steps == ["pending", "uploading", "issued"]
    actions = set(AuditEvent.objects.filter(object_type="invoicing.invoice", object_id=str(invoice.pk))
                  .values_list("action", flat=True))
    assert {"invoice.create", "invoice.number_assign", "invoice.issue"} <= actions
    stats = StoreDayStats.objects.get(store=shop.a1)
    assert (stats.orders_received, stats.issued_count, stats.issued_amount) == (1, 1, Decimal("119.54"))
    assert stats.latency_count == 1 and sum(stats.latency_buckets.values()) == 1


def test_the_same_order_again_answers_the_same_result(shop):
    order = an_order("A1-0002")
    first = shop.api.post("/api/v1/orders", order)
    again = shop.api.post("/api/v1/orders", order)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["invoices"][0]["id"] == first.json()["invoices"][0]["id"]
    assert Order.objects.count() == 1 and Invoice.objects.count() == 1


def test_a_different_order_under_the_same_number_is_a_conflict(shop):
    shop.api.post("/api/v1/orders", an_order("A1-0003"))
    changed = an_order("A1-0003", remark="改了")
    response = shop.api.post("/api/v1/orders", changed)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "order_no_conflict"
    assert "订单号" in response.json()["error"]["message"]
    assert Order.objects.count() == 1


def test_a_batch_is_answered_item_by_item(shop):
    orders = [an_order() for _ in range(30)]
    orders.append({"order_no": "bad one", "lines": []})
    response = shop.api.post("/api/v1/orders/batch", {"orders": orders})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201] * 30 + [422]
    run_jobs()
    assert Invoice.objects.filter(status="issued").count() == 30
    numbers = list(Invoice.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 30
    assert UploadedInvoice.objects.filter(status="00").count() == 30
    # Rows appended in bulk link into the company's hash chain exactly like audit_record's.
    assert verify_chain(shop.company.pk) is None
    assert AuditEvent.objects.filter(company=shop.company, action="invoice.issue").count() == 30


def test_rollout_leaves_unselected_orders_as_drafts(shop):
    shop.a1.rollout_percent = 0
    shop.a1.save()
    response = shop.api.post("/api/v1/orders", an_order("A1-0100"))
    assert response.status_code == 201
    assert response.json()["invoices"][0]["status"] == "draft"
    run_jobs()
    assert Invoice.objects.get().status == Invoice.Status.DRAFT
    assert UploadedInvoice.objects.count() == 0
