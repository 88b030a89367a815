"""Issue 14 items 18–20 in Chromium: ticking invoices in the list, the lines grid and drafts on the
issue form at 1280 and 360 px, and following a dashboard figure to its invoices."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from audit.services import Actor
from invoicing.issuing.transitions import begin, record_transitions
from invoicing.models import Invoice, IssueDraft
from tests.browser.conftest import shot
from tests.web.conftest import make_invoice

pytestmark = pytest.mark.browser
S = Invoice.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_clerk_ticks_all_on_the_page_and_downloads_a_zip(tenants, new_page):
    issued = [make_invoice(tenants.a1, amount=f"{10 + i}.00") for i in range(3)]
    make_invoice(tenants.a1, status=S.FAILED)  # no tick for it
    page = new_page(tenants.clerk_a1)
    page.goto("/invoices/")
    totals = page.locator("#list-totals")
    assert "4 张" in totals.inner_text() and "价税合计" in totals.inner_text()
    xml_button = page.locator("button[value=xml]")
    assert xml_button.is_disabled() and page.locator("#bulk-count").inner_text() == "已选 0 张"
    page.check("#select-all")
    assert page.locator("#bulk-count").inner_text() == "已选 3 张" and xml_button.is_enabled()
    shot(page, "invoice_list_ticked")
    with page.expect_download() as info:
        xml_button.click()
    download = info.value
    assert download.suggested_filename.startswith("发票XML-3张-") and download.suggested_filename.endswith(".zip")
    names = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())).namelist()
    assert sorted(names) == sorted(f"{inv.number}.xml" for inv in issued)
    page.uncheck(f"input[name=ids][value='{issued[0].pk}']")
    assert page.locator("#bulk-count").inner_text() == "已选 2 张"
    assert page.evaluate("document.getElementById('select-all').indeterminate")


@pytest.mark.parametrize("width", [1280, 360])
def test_the_issue_form_lines_are_a_grid_and_a_draft_is_saved_and_reopened(tenants, new_page, width):
    page = new_page(tenants.clerk_a1, width=width)
    page.goto("/invoices/new/")
    page.fill("#id_buyer_name", "草稿买家有限公司")
    page.fill("#id_lines-0-name", "手工皂")
    page.fill("#id_lines-0-quantity", "3")
    page.fill("#id_lines-0-price", "12.5")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing sticks out sideways
    shot(page, f"issue_form_lines_{width}")
    boxes = {name: page.locator(f"#id_lines-0-{name}").bounding_box()
             for name in ("name", "spec", "unit", "quantity", "price", "amount", "rate")}
    if width >= 1280:
        # One row per line, in the invoice's order: 项目名称 规格 单位 数量 单价 金额 税率
        tops = {round(box["y"]) for box in boxes.values()}
        assert len(tops) == 1, boxes
        xs = [boxes[n]["x"] for n in ("name", "spec", "unit", "quantity", "price", "amount", "rate")]
        assert xs == sorted(xs)
        assert page.locator(".lines-head").is_visible()
        row_height = page.locator("#lines [data-line]").nth(1).bounding_box()["height"]  # an untouched line
        assert row_height < 90, row_height  # one row, not a card several rows tall
        assert page.locator("#id_lines-0-name").bounding_box()["width"] >= 140
    else:
        assert not page.locator(".lines-head").is_visible()
        assert page.locator("label[for=id_lines-0-quantity]").is_visible()
        assert all(box["width"] >= 100 for box in boxes.values())
    page.click("#save-draft")
    page.wait_for_selector("#draft-table")
    assert "草稿买家有限公司" in page.locator("#draft-table").inner_text()
    draft = IssueDraft.objects.get()
    page.click("#draft-table a:has-text('继续填写')")
    page.wait_for_selector("#issue-form")
    assert page.input_value("#id_buyer_name") == "草稿买家有限公司"
    assert page.input_value("#id_lines-0-name") == "手工皂" and page.input_value("#id_lines-0-quantity") == "3"
    assert page.input_value("#id_saved_draft") == str(draft.pk)


def test_copy_from_an_invoice_prefills_the_form(tenants, new_page):
    original = make_invoice(tenants.a1, buyer_name="老客户有限公司", amount="56.50")
    page = new_page(tenants.clerk_a1)
    page.goto(f"/invoices/{original.pk}/")
    page.click("#copy-invoice")
    page.wait_for_selector("#issue-form")
    assert page.input_value("#id_buyer_name") == "老客户有限公司"
    assert page.input_value("#id_lines-0-name") == "马苏里拉奶酪"
    page.wait_for_function("document.getElementById('total-with-tax').textContent.includes('63.85')")
    shot(page, "issue_form_copied")


@transaction.atomic
def _issue(invoice, when):
    for to, fields in ((S.UPLOADING, {}), (S.ISSUED, {"confirmed_at": when, "issued_at": when})):
        t = begin(invoice)
        invoice.status = to
        for name, value in fields.items():
            setattr(invoice, name, value)
        record_transitions([t], actor=Actor.job("test"), action="invoice.test", update_fields=["status", *fields])


def test_hq_follows_a_dashboard_figure_to_its_invoices(tenants, new_page):
    now = timezone.now()
    for i, amount in enumerate(("100.00", "50.00", "20.00")):
        invoice = make_invoice(tenants.a1, status=S.PENDING, amount=amount, number=f"26320000000000009{i:03d}")
        _issue(invoice, now - timedelta(days=i))
    page = new_page(tenants.hq_finance)
    page.goto("/dashboard/")
    figure = page.locator("[data-drill=amount]").inner_text()
    assert "192.10" in figure  # 113 + 56.50 + 22.60
    assert page.locator("#rate-table").is_visible()
    shot(page, "dashboard_drill")
    page.click("[data-drill=amount]")
    page.wait_for_selector("#list-totals")
    assert page.locator("#list-totals [data-total=with_tax]").inner_text() == "192.10"
    assert "来自看板" in page.locator("#drill-note").inner_text()
    shot(page, "invoice_list_from_dashboard")
