"""Races on a line, 专票 and 差额征税 invoices, refunds from the integration API, batch reversal."""

import csv
import io
import re
import threading
from decimal import Decimal as D

import pytest
from django.db import close_old_connections

from audit.services import Actor
from invoicing.errors import ServiceError
from invoicing.models import BatchReversal, Invoice, RedLetterForm, Refund
from invoicing.redletter import applications, refunds
from invoicing.redletter.rules import Requested
from invoicing.redletter.selectors import blue_invoice_remaining
from sandbox.models import UploadedInvoice
from tests.redletter.conftest import client_for, issue_blue, run_default_jobs, run_jobs, service_lines

ACTOR = Actor.job("test")


def test_two_requests_racing_for_the_same_quantity_cannot_both_get_it(shop):
    blue = issue_blue(shop)  # 3 units
    barrier = threading.Barrier(2)
    outcomes = []

    def request():
        try:
            barrier.wait(timeout=10)
            applications.red_letter_form_request(invoice=blue, actor=ACTOR, reason="02", full=False,
                                             lines=[Requested(line_no=1, quantity=D(2))])
            outcomes.append("ok")
        except ServiceError as exc:
            outcomes.append(exc.message)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "第1行红冲数量 2 超过该行剩余可红冲数量 1；第1行红冲金额 200.00 超过该行剩余可红冲金额 100.00"]
    assert RedLetterForm.objects.filter(blue_invoice=blue).count() == 1
    assert blue_invoice_remaining(blue).lines[0].remaining_quantity == D(1)


def test_a_special_invoice_is_reversed_by_a_red_special_invoice(shop):
    blue = issue_blue(shop, special=True)
    assert blue.type == "01"
    form = applications.red_letter_form_submit(form_id=applications.red_letter_form_request(
        invoice=blue, actor=ACTOR, reason="02", full=True).pk)
    run_jobs()
    red = Invoice.objects.get(pk=form.red_invoice_id)
    assert (red.type, red.status) == ("01", Invoice.Status.ISSUED)
    assert UploadedInvoice.objects.get(fphm=red.number).payload["fppz"] == "01"


def test_a_margin_taxed_invoice_is_reversed_only_in_full(shop, monkeypatch):
    from invoicing.issuing import pipeline

    original = pipeline.invoice_payload
    monkeypatch.setattr(pipeline, "invoice_payload", lambda invoice, lines: {**original(invoice, lines),
                                                                             "cezslxDm": "01"})
    blue = issue_blue(shop)
    with pytest.raises(ServiceError) as caught:
        applications.red_letter_form_request(invoice=blue, actor=ACTOR, reason="01", full=False,
                                         lines=[Requested(line_no=1, amount=D("100"))])
    assert caught.value.message == "差额征税发票只能全额红冲（且只能红冲一次），不能部分红冲；请选择全额红冲"
    assert not RedLetterForm.objects.exists()
    form = applications.red_letter_form_submit(form_id=applications.red_letter_form_request(
        invoice=blue, actor=ACTOR, reason="01", full=True).pk)
    assert (form.state, form.amount) == ("01", D("-300.00"))


def _refund(shop, order_no, refund_id, amount, lines=None):
    body = {"refund_id": refund_id, "order_no": order_no, "amount": amount, "refunded_at": "2025-01-02T10:00:00+08:00"}
    if lines is not None:
        body["lines"] = lines
    return shop.api.post("/api/v1/refunds", body)


def test_a_refund_after_issue_reverses_the_returned_quantity_once(shop):
    blue = issue_blue(shop, order_no="R-ORDER-1")
    refund_lines = [{"line_no": 1, "quantity": "1", "amount": "113.00"}]
    assert _refund(shop, "R-ORDER-1", "RF-1", "113.00", refund_lines).status_code == 201
    assert refunds.refunds_reverse_pending()["reversed"] == 1
    assert refunds.refunds_reverse_pending()["reversed"] == 0  # idempotent per refund
    assert refunds.refund_reverse(refund_id=Refund.objects.get(refund_id="RF-1").pk).pk == RedLetterForm.objects.get().pk
    assert _refund(shop, "R-ORDER-1", "RF-1", "113.00", refund_lines).status_code == 200  # the same refund again
    form = RedLetterForm.objects.get()
    assert (form.reason, form.state, form.amount, form.tax) == ("02", "01", D("-100.00"), D("-13.00"))
    refund = Refund.objects.get(refund_id="RF-1")
    # Created, not issued yet: the refund waits for it (it used to say reversed already).
    assert (refund.status, refund.red_invoice_id) == (Refund.Status.AWAITING_RED_LETTER, form.red_invoice_id)
    assert form.red_invoice.status == Invoice.Status.PENDING
    run_jobs()
    form.red_invoice.refresh_from_db()
    assert form.red_invoice.status == Invoice.Status.ISSUED
    refund.refresh_from_db()
    assert refund.status == Refund.Status.REVERSED
    assert blue_invoice_remaining(blue).lines[0].remaining_quantity == D(2)


def test_a_full_refund_reverses_everything_and_a_partial_one_without_lines_is_an_allowance(shop):
    issue_blue(shop, order_no="R-ORDER-2")
    _refund(shop, "R-ORDER-2", "RF-2", "339.00")
    issue_blue(shop, order_no="R-ORDER-3")
    _refund(shop, "R-ORDER-3", "RF-3", "33.90")
    refunds.refunds_reverse_pending()
    full = RedLetterForm.objects.get(refund__refund_id="RF-2")
    allowance = RedLetterForm.objects.get(refund__refund_id="RF-3")
    assert (full.reason, full.is_full, full.amount + full.tax) == ("02", True, D("-339.00"))
    assert (allowance.reason, allowance.amount, allowance.tax) == ("04", D("-30.00"), D("-3.90"))
    assert allowance.lines.get().quantity is None


def test_a_refund_before_issue_reduces_the_pending_invoice_and_needs_no_red_letter(shop):
    from tests.redletter.conftest import an_order, goods_lines

    order = an_order("R-ORDER-4", lines=goods_lines())
    shop.api.post("/api/v1/orders", order)  # no jobs run: still pending
    _refund(shop, "R-ORDER-4", "RF-4", "113.00", [{"line_no": 1, "quantity": "1", "amount": "113.00"}])
    assert Refund.objects.get(refund_id="RF-4").status == Refund.Status.APPLIED
    assert refunds.refunds_reverse_pending() == {"reversed": 0, "failed": 0, "waiting": 0}
    assert not RedLetterForm.objects.exists()
    assert Invoice.objects.get(order__order_no="R-ORDER-4").total_with_tax == D("226.00")


def test_a_batch_reversal_goes_on_after_a_failure_and_exports_its_outcomes(shop, people):
    goods = issue_blue(shop)
    service = issue_blue(shop, lines=service_lines())
    client = client_for(people.finance)
    response = confirm_batch(client, {"reason": "02", "numbers": f"{service.number}\n{goods.number}"})
    batch = BatchReversal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/red-letter/batches/{batch.pk}/"
    assert (batch.total, batch.status) == (2, "queued")
    run_default_jobs()
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.succeeded, batch.failed) == ("done", 2, 1, 1)
    outcomes = {item.invoice_id: item for item in batch.items.all()}
    assert outcomes[goods.pk].outcome == "applied" and outcomes[goods.pk].form.state == "01"
    assert outcomes[service.pk].outcome == "failed"
    assert "不能以销货退回（02）红冲" in outcomes[service.pk].message

    progress = client.get(f"/red-letter/batches/{batch.pk}/progress.json").json()
    assert progress == {"status": "done", "status_label": "已完成", "total": 2, "processed": 2, "succeeded": 1,
                        "failed": 1, "percent": 100}
    page = client.get(f"/red-letter/batches/{batch.pk}/")
    assert page.status_code == 200 and "<progress" in page.content.decode()
    exported = client.get(f"/red-letter/batches/{batch.pk}/outcomes.csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["发票号码", "门店", "价税合计", "结果", "红字确认单编号", "确认单状态", "说明"]
    assert sorted(row[3] for row in rows[1:]) == ["失败", "已申请红字确认单"]

    assert client_for(people.manager).get(f"/red-letter/batches/{batch.pk}/").status_code == 404
    assert client_for(people.stranger).get(f"/red-letter/batches/{batch.pk}/progress.json").status_code == 404


def preview_batch(client, selection: dict) -> dict:
    """POST the selection as the form does; returns the confirm form's fields from the preview."""
    page = client.post("/red-letter/batches/", selection)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="batch-preview"' in html
    confirm = html[html.index('<form method="post" id="batch-confirm"'):]
    confirm = confirm[:confirm.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm))


def confirm_batch(client, selection: dict):
    return client.post("/red-letter/batches/", preview_batch(client, selection))


def test_choosing_a_store_previews_its_invoices_and_reverses_nothing_until_confirmed(shop, people):
    first, second = issue_blue(shop), issue_blue(shop)
    other_store = issue_blue(shop, api=shop.api2)
    client = client_for(people.finance)
    page = client.post("/red-letter/batches/", {"reason": "01", "store": shop.a1.pk})
    html = page.content.decode()
    assert page.status_code == 200 and not BatchReversal.objects.exists() and not RedLetterForm.objects.exists()
    assert "预览：将全额红冲 2 张发票" in html
    assert f'<td class="num" id="preview-total">{first.total_with_tax + second.total_with_tax}</td>' in html
    assert f'<td class="num" id="preview-amount">{first.total_amount + second.total_amount}</td>' in html
    assert first.number in html and second.number in html and other_store.number not in html
    assert "确认红冲这 2 张发票" in html


def test_a_double_click_on_confirm_makes_one_batch(shop, people):
    blue = issue_blue(shop)
    client = client_for(people.finance)
    fields = preview_batch(client, {"reason": "01", "numbers": blue.number})
    first, second = client.post("/red-letter/batches/", fields), client.post("/red-letter/batches/", fields)
    batch = BatchReversal.objects.get()
    assert first["Location"] == second["Location"] == f"/red-letter/batches/{batch.pk}/"
    assert batch.items.count() == 1
    run_default_jobs()
    assert RedLetterForm.objects.filter(blue_invoice=blue).count() == 1


def test_two_confirms_racing_make_one_batch(shop, people):
    blue = issue_blue(shop)
    fields = preview_batch(client_for(people.finance), {"reason": "01", "numbers": blue.number})
    barrier = threading.Barrier(2)
    locations = []

    def confirm():
        try:
            client = client_for(people.finance)
            barrier.wait(timeout=10)
            locations.append(client.post("/red-letter/batches/", fields)["Location"])
        finally:
            close_old_connections()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    batch = BatchReversal.objects.get()
    assert locations == [f"/red-letter/batches/{batch.pk}/"] * 2


def test_a_confirm_reverses_only_what_was_previewed(shop, people):
    previewed = issue_blue(shop)
    client = client_for(people.finance)
    fields = preview_batch(client, {"reason": "01", "store": shop.a1.pk})
    later = issue_blue(shop)  # issued after the preview: not in what the user saw
    response = client.post("/red-letter/batches/", fields)
    batch = BatchReversal.objects.get()
    assert response.status_code == 302
    assert [item.invoice_id for item in batch.items.all()] == [previewed.pk]
    assert later.pk != previewed.pk


def test_a_confirm_after_a_previewed_invoice_changed_shows_a_new_preview(shop, people):
    blue = issue_blue(shop)
    client = client_for(people.finance)
    fields = preview_batch(client, {"reason": "01", "numbers": blue.number})
    Invoice.objects.filter(pk=blue.pk).update(status=Invoice.Status.FAILED)
    page = client.post("/red-letter/batches/", fields)
    assert page.status_code == 200 and not BatchReversal.objects.exists()
    assert "预览之后有发票的状态变了" in page.content.decode()
