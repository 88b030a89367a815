"""The exchange log linked to stores and invoices (issue 14 item 3): real pipeline, sandbox over HTTP."""

from django.test import Client
from django.urls import reverse

from audit.models import Exchange
from invoicing.models import Invoice
from stores.models import Role
from tests.factories import user_with_role
from tests.pipeline.conftest import an_order, run_jobs

LOG = reverse("audit:exchange_list")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_one_store_upload_is_that_stores_row_and_shows_on_the_invoice_and_the_managers_log(shop):
    shop.api.post("/api/v1/orders", an_order("EX-1"))
    run_jobs()
    invoice = Invoice.objects.get()
    assert invoice.status == "issued"
    upload, result = (Exchange.objects.get(service=s) for s in ("QDFPSC", "CXQDFPSCJG"))
    # Regression: every row had no store, so a manager's log was empty.
    assert upload.store_id == result.store_id == shop.a1.pk
    assert invoice.number in upload.refs and invoice.number in result.refs
    # Company-level calls (number block, quota, taxpayer info) stay without a store.
    assert set(Exchange.objects.filter(store=None).values_list("service", flat=True)) <= {"QDFPPLFM", "XZTHSXED",
                                                                                          "CXNSRJBXX", "CXSXED"}
    manager = _client(user_with_role(Role.STORE_MANAGER, store=shop.a1))
    log = manager.get(LOG).content.decode()
    assert reverse("audit:exchange_detail", args=[upload.pk]) in log and "发票上传" in log
    assert reverse("audit:exchange_detail", args=[result.pk]) in log
    detail = manager.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content.decode()
    section = detail.split('id="h-exchanges"')[1]
    assert "尚无与税务平台的交互记录" not in section
    assert "发票上传（QDFPSC）" in section and reverse("audit:exchange_detail", args=[upload.pk]) in section
    assert manager.get(reverse("audit:exchange_detail", args=[upload.pk])).status_code == 200
    # The other store's manager sees none of it.
    other = _client(user_with_role(Role.STORE_MANAGER, store=shop.a2))
    assert reverse("audit:exchange_detail", args=[upload.pk]) not in other.get(LOG).content.decode()
    assert other.get(reverse("audit:exchange_detail", args=[upload.pk])).status_code == 404


def test_a_batch_of_two_stores_is_listed_on_each_invoice_but_opened_only_by_hq(shop):
    shop.api.post("/api/v1/orders", an_order("EX-A1"))
    shop.api2.post("/api/v1/orders", an_order("EX-A2"))
    run_jobs()
    mine = Invoice.objects.get(order__order_no="EX-A1")
    assert Invoice.objects.filter(status="issued").count() == 2
    upload = Exchange.objects.get(service="QDFPSC")
    assert upload.store_id is None and mine.number in upload.refs  # it carries both stores' invoices
    manager = _client(user_with_role(Role.STORE_MANAGER, store=shop.a1))
    section = manager.get(reverse("invoicing:invoice_detail", args=[mine.pk])).content.decode().split(
        'id="h-exchanges"')[1]
    assert "发票上传（QDFPSC）" in section and "报文仅总部可查看" in section
    assert reverse("audit:exchange_detail", args=[upload.pk]) not in section
    assert manager.get(reverse("audit:exchange_detail", args=[upload.pk])).status_code == 404
    hq = _client(user_with_role(Role.HQ_FINANCE, company=shop.company))
    assert hq.get(reverse("audit:exchange_detail", args=[upload.pk])).status_code == 200
