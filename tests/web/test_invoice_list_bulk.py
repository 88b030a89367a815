"""The invoice list's totals row, per-row files and the ticked-invoices actions (zip, resend, print)."""

import io
import uuid
import zipfile
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.urls import reverse
from pypdf import PdfReader

from audit.models import AuditEvent
from invoicing.issuing.views import BULK_MAX
from invoicing.models import Invoice
from tests.web.conftest import make_invoice

LIST = reverse("invoicing:invoice_list")
BULK = reverse("invoicing:invoice_bulk")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_it_totals_the_whole_filtered_set_not_the_page_with_red_netted(tenants, client_for):
    for _ in range(55):  # more than one page of 50
        make_invoice(tenants.a1, amount="10.00")
    blue = make_invoice(tenants.a1, amount="100.00")
    make_invoice(tenants.a1, kind=Invoice.Kind.RED, blue_invoice=blue, amount="-40.00")
    make_invoice(tenants.a2, amount="999.00")  # another store: not the clerk's
    r = client_for(tenants.clerk_a1).get(LIST)
    assert len(r.context["page"].object_list) == 50
    totals = r.context["totals"]
    assert totals["count"] == 57
    assert totals["amount"] == Decimal("610.00")  # 55 × 10 + 100 − 40
    assert totals["tax"] == Decimal("79.30")  # 55 × 1.30 + 13.00 − 5.20
    assert totals["with_tax"] == Decimal("689.30")
    html = r.content.decode()
    assert "筛选结果合计（全部页）：57 张" in html and "689.30" in html


def test_it_totals_only_what_the_filter_keeps(tenants, client_for):
    make_invoice(tenants.a1, amount="10.00", buyer_name="甲客户")
    make_invoice(tenants.a1, amount="20.00", buyer_name="乙客户")
    totals = client_for(tenants.clerk_a1).get(LIST, {"q": "乙客户"}).context["totals"]
    assert (totals["count"], totals["with_tax"]) == (1, Decimal("22.60"))


def test_it_links_each_issued_row_to_its_files_and_offers_a_tick_only_for_issued(tenants, client_for):
    issued = make_invoice(tenants.a1)
    failed = make_invoice(tenants.a1, status=Invoice.Status.FAILED)
    html = client_for(tenants.clerk_a1).get(LIST).content.decode()
    assert reverse("documents:invoice_file", args=[issued.pk, "pdf"]) in html
    assert reverse("documents:invoice_file", args=[issued.pk, "xml"]) in html
    assert reverse("documents:invoice_file", args=[failed.pk, "pdf"]) not in html
    assert f'name="ids" value="{issued.pk}"' in html and f'name="ids" value="{failed.pk}"' not in html


def test_it_zips_the_ticked_xml_files_under_a_chinese_name(tenants, client_for):
    one, two = make_invoice(tenants.a1), make_invoice(tenants.a1)
    r = client_for(tenants.clerk_a1).post(BULK, {"action": "xml", "ids": [one.pk, two.pk]})
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    assert "发票XML-2张-" in unquote(r["Content-Disposition"])
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert sorted(archive.namelist()) == sorted([f"{one.number}.xml", f"{two.number}.xml"])
    assert one.number.encode() in archive.read(f"{one.number}.xml")


def test_it_zips_pdfs_that_read_back(tenants, client_for):
    invoice = make_invoice(tenants.a1)
    r = client_for(tenants.clerk_a1).post(BULK, {"action": "pdf", "ids": [invoice.pk]})
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    text = PdfReader(io.BytesIO(archive.read(f"{invoice.number}.pdf"))).pages[0].extract_text()
    assert invoice.number in text


def test_it_refuses_another_stores_invoice_and_sends_nothing(tenants, client_for):
    mine, theirs = make_invoice(tenants.a1), make_invoice(tenants.a2)
    r = client_for(tenants.clerk_a1).post(BULK, {"action": "xml", "ids": [mine.pk, theirs.pk]})
    assert r.status_code == 302 and r["Content-Type"] != "application/zip"
    message = [str(m) for m in r.wsgi_request._messages]
    assert any("不存在、无权查看或尚未开具" in m for m in message)


def test_it_refuses_more_than_the_limit_in_chinese(tenants, client_for):
    invoice = make_invoice(tenants.a1)
    ids = [invoice.pk] + list(range(10**6, 10**6 + BULK_MAX))
    r = client_for(tenants.clerk_a1).post(BULK, {"action": "xml", "ids": ids}, follow=True)
    assert f"一次最多处理 {BULK_MAX} 张发票，您勾选了 {BULK_MAX + 1} 张，请分批操作。" in r.content.decode()


def test_it_refuses_nothing_ticked_and_a_get(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    assert "请先勾选发票。" in c.post(BULK, {"action": "xml"}, follow=True).content.decode()
    assert c.get(BULK).status_code == 405


def test_it_needs_the_csrf_token(tenants, client):
    from django.test import Client

    invoice = make_invoice(tenants.a1)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(tenants.clerk_a1)
    assert strict.post(BULK, {"action": "xml", "ids": [invoice.pk]}).status_code == 403


def test_it_resends_each_ticked_invoice_once_even_when_posted_twice(tenants, client_for):
    one = make_invoice(tenants.a1, buyer_email="a@example.com")
    two = make_invoice(tenants.a1, buyer_email="b@example.com")
    c = client_for(tenants.clerk_a1)
    form = {"action": "resend", "ids": [one.pk, two.pk, one.pk], "bulk_key": uuid.uuid4().hex, "query": "q=x"}
    r = c.post(BULK, form)
    assert r.status_code == 302 and r["Location"] == LIST + "?q=x"
    r = c.post(BULK, form, follow=True)  # the double click / the back button
    assert "这批发票已安排重发，没有重复发送。" in r.content.decode()
    for invoice in (one, two):
        assert AuditEvent.objects.filter(action="invoice.resend", object_id=str(invoice.pk)).count() == 1


def test_it_says_which_invoices_had_nobody_to_resend_to(tenants, client_for):
    reachable = make_invoice(tenants.a1, buyer_email="a@example.com")
    nobody = make_invoice(tenants.a1)
    r = client_for(tenants.clerk_a1).post(BULK, {"action": "resend", "ids": [reachable.pk, nobody.pk],
                                                 "bulk_key": "x" * 32}, follow=True)
    html = r.content.decode()
    assert "已安排重发 1 张发票" in html and f"1 张未能重发：{nobody.number}：没有接收方" in html
    assert AuditEvent.objects.filter(action="invoice.resend", object_id=str(nobody.pk)).count() == 0


def test_it_shows_a_print_page_with_each_pdf(tenants, client_for):
    one, two = make_invoice(tenants.a1), make_invoice(tenants.a1)
    r = client_for(tenants.clerk_a1).post(BULK, {"action": "print", "ids": [one.pk, two.pk]})
    html = r.content.decode()
    assert r.status_code == 200 and "打印发票（2 张）" in html
    for invoice in (one, two):
        assert reverse("documents:invoice_file", args=[invoice.pk, "pdf"]) + "?inline=1" in html
