"""Issue 14, items 16 and 17 in Chromium: what the clerk sees while filling the manual form, the
header, the favicon, and the home page's to-do list."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.browser.conftest import shot
from tests.web.conftest import CHEESE, make_product

pytestmark = pytest.mark.browser


def test_the_product_dropdown_on_line_1_is_above_the_sticky_totals_bar(tenants, new_page):
    for n in range(8):
        make_product(tenants.a, name=f"奶酪{n}号", sku=f"CH-{n}", tax_code=CHEESE, price=Decimal("10.00"))
    page = new_page(tenants.clerk_a1, height=700)
    page.goto("/invoices/new/")
    name = page.locator("#id_lines-0-name")
    # Line 1's name just above the sticky totals bar, as on a laptop screen: the list opens over the bar.
    name.evaluate("el => window.scrollBy(0, el.getBoundingClientRect().bottom - window.innerHeight + 120)")
    name.click()
    name.type("奶酪", delay=30)
    page.wait_for_selector("[data-product-list] [role=option]")
    totals = page.locator(".totals").bounding_box()
    listbox = page.locator("[data-product-list]").first.bounding_box()
    assert listbox["y"] + listbox["height"] > totals["y"] + 10, "the test must make the list overlap the bar"
    x = listbox["x"] + 40
    y = (max(listbox["y"], totals["y"]) + min(listbox["y"] + listbox["height"], totals["y"] + totals["height"])) / 2
    on_top = page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('[data-product-list]')", [x, y])
    shot(page, "issue_form_dropdown_over_totals")
    assert on_top, "the sticky totals bar covers the product list"


def test_the_empty_tax_code_is_not_flagged_while_the_name_is_typed(tenants, new_page):
    page = new_page(tenants.clerk_a1)
    page.goto("/invoices/new/")
    page.fill("#id_buyer_name", "福州示例贸易有限公司")
    name = page.locator("#id_lines-0-name")
    name.click()  # leaving the buyer's name is a change: the server's rules run for the whole form
    name.type("手工芝士蛋糕", delay=120)
    page.wait_for_function("document.getElementById('validate-state').textContent.includes('请按红色提示修改')")
    page.wait_for_timeout(300)
    code = page.locator("#id_lines-0-tax_code")
    assert code.get_attribute("aria-invalid") is None
    assert not page.locator(".field.has-error:has(#id_lines-0-tax_code)").count()
    # Leaving the empty code field, or submitting, does show what is missing.
    code.focus()
    page.locator("#id_lines-0-quantity").focus()
    page.wait_for_selector(".field.has-error:has(#id_lines-0-tax_code)")
    assert code.get_attribute("aria-invalid") == "true"


def test_a_clerk_codes_the_waiting_line_and_submits_in_one_click(tenants, new_page):
    """Item 15: the preselected rate is one the code allows, and 确认编码并提交开具 sends it on (double-click: once)."""
    from audit.models import AuditEvent
    from audit.services import Actor
    from invoicing.api.parse import parse_order
    from invoicing.models import Invoice
    from invoicing.orders.services import order_receive_many
    from invoicing.taxcodes.coding import AutoCoder

    tenants.a.auto_code_threshold = Decimal("1.00")
    tenants.a.save(update_fields=["auto_code_threshold"])
    order = {"order_no": "BROWSER-CODE-2", "paid_at": "2025-01-01T10:00:00+08:00", "total": "113.00",
             "lines": [{"name": "手工芝士蛋糕礼盒", "quantity": "2", "unit_price": "56.50"}]}
    [outcome] = order_receive_many(store=tenants.a1, parsed_orders=[parse_order(order, coder=AutoCoder(tenants.a))],
                                   actor=Actor.system())
    invoice = outcome.order.invoices.get()
    page = new_page(tenants.clerk_a1)
    page.goto(f"/invoices/{invoice.pk}/")
    form = page.locator("#coding-1")
    radio = form.locator("input[name=tax_code]").first
    assert radio.is_checked()
    allowed = radio.get_attribute("data-rates").split(",")
    assert page.input_value("#rate-1") == allowed[0]  # the code's general rate, not "按编码"
    # Another suggestion moves the rate with it; the first again brings its rate back.
    if form.locator("input[name=tax_code]").count() > 1:
        second = form.locator("input[name=tax_code]").nth(1)
        second.check()
        assert page.input_value("#rate-1") in second.get_attribute("data-rates").split(",")
        radio.check()
        assert page.input_value("#rate-1") == allowed[0]
    shot(page, "invoice_coding_default_rate")
    form.locator("button", has_text="确认编码并提交开具").dblclick()
    page.wait_for_selector("text=已提交开具")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PENDING
    assert AuditEvent.objects.filter(action="invoice.submit", object_id=str(invoice.pk)).count() == 1
    assert not page.locator(".msg-error").count()


def test_hq_previews_a_batch_reversal_and_a_double_click_confirms_one_batch(tenants, new_page):
    """Item 10: choosing a store shows what would be reversed; only the confirm starts it, once."""
    from invoicing.models import BatchReversal, RedLetterForm
    from tests.web.conftest import make_invoice

    invoices = [make_invoice(tenants.a1, amount="100.00"), make_invoice(tenants.a1, amount="50.00")]
    make_invoice(tenants.a2, amount="999.00")
    page = new_page(tenants.hq_finance)
    page.click("nav >> text=批量红冲")
    page.select_option("#id_reason", "01")
    page.select_option("#id_store", str(tenants.a1.pk))
    page.click("button:has-text('预览要红冲的发票')")
    page.wait_for_selector("#batch-preview")
    assert not BatchReversal.objects.exists() and not RedLetterForm.objects.exists()
    assert page.inner_text("#preview-count") == "2"
    assert page.inner_text("#preview-total") == str(sum(i.total_with_tax for i in invoices))
    assert page.locator("#batch-preview tbody tr:has(a)").count() == 2
    shot(page, "batch_reversal_preview")
    page.locator("#batch-confirm button[type=submit]").dblclick()
    page.wait_for_selector("#batch-progress")
    batch = BatchReversal.objects.get()
    assert sorted(batch.items.values_list("invoice_id", flat=True)) == sorted(i.pk for i in invoices)
    shot(page, "batch_reversal_started")


@pytest.mark.parametrize("role", ["clerk_a1", "manager_a1", "hq_admin"])
def test_each_role_lands_on_its_home_with_a_to_do_list(tenants, new_page, role):
    """Item 17: the first screen after login, per role; the counts link to their lists."""
    from invoicing.models import Invoice, RedLetterForm
    from tests.web.conftest import make_invoice

    make_invoice(tenants.a1, status=Invoice.Status.FAILED, failure_message="购方税号校验位错误")
    make_invoice(tenants.a1, status=Invoice.Status.DRAFT)
    make_invoice(tenants.a1)  # issued today
    blue = make_invoice(tenants.a1)
    RedLetterForm.objects.create(company=tenants.a, store=tenants.a1, blue_invoice=blue, reason="01", is_full=True,
                                 amount=-blue.total_amount, tax=-blue.total_tax,
                                 approval=RedLetterForm.Approval.PENDING, requested_by=tenants.clerk_a1)
    user = getattr(tenants, role)
    user.last_name, user.first_name = "陈", "静"
    user.save()
    page = new_page(user)
    assert page.url.endswith("/")
    assert "陈静" in page.inner_text("#greeting")
    assert page.inner_text("#today-issued") == "2"
    failed = page.locator("[data-todo=failed] a")
    assert failed.inner_text().startswith("1")
    approve = page.locator("[data-todo=approve] a")
    assert approve.count() == (0 if role == "clerk_a1" else 1)
    shot(page, f"home_{role}")
    failed.click()
    page.wait_for_selector("table")
    assert "status=failed" in page.url
    assert page.locator("table tbody tr").count() == 1


def test_hq_retries_a_failed_job_from_the_chinese_job_monitor_and_no_page_asks_for_a_missing_favicon(
        tenants, new_page):
    """Item 21 (and 16's favicon): 任务监控 from the navigation, one retry for a double-click."""
    import django_rq
    from rq.registry import FailedJobRegistry

    from invoicing.models import BatchReversal
    from tests.web.test_job_monitor import BATCH_JOB, fail_job

    job = fail_job("default", BATCH_JOB, BatchReversal.objects.create(company=tenants.a, reason="01").pk)
    page = new_page(tenants.hq_finance)
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    page.click("nav >> text=任务监控")
    page.wait_for_selector("#failed-jobs")
    row = page.locator(f'tr[data-job="{job.id}"]')
    assert "批量红冲" in row.inner_text() and "税务平台暂时不可用" in row.inner_text()
    shot(page, "job_monitor")
    row.locator("button", has_text="重新执行").dblclick()
    page.wait_for_selector("text=已重新排队：批量红冲")
    queue = django_rq.get_queue("default")
    assert queue.get_job_ids() == [job.id] and job.id not in FailedJobRegistry(queue=queue)
    assert page.locator('#queue-counts tr[data-queue="default"] td[data-state="queued"]').inner_text() == "1"
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert not [url for url in missing if "favicon" in url], missing
