"""One journey per role in headless Chromium, on the product started as ./run starts it.

``config.launcher`` runs once for the module (tests.prod_smoke.launched: migrate, demo data, then
web, worker with its scheduler, cron and sandbox under the supervisor) on a database and Redis
database of its own; the demo users log in through the login form. Nothing is written to the
database behind the product's back: every change goes through a screen or the worker.

- 店员 clerk_sh001: home, issue by hand (with a 收票邮箱) and see it issued by the worker, the list,
  ask for a partial 红冲 (it waits for the manager).
- 店长 manager_sh001: home, approve the red-letter request, see the red invoice issued, the
  platform exchange log.
- 总部 hq_finance / hq_admin: the dashboard's figures against the reconciliation export (已送达 ≤ 100%,
  区间金额 = 对账汇总's net 价税合计), the audit PDF, the batch reversal page.

Screenshots: test-artifacts/screenshots/journey_*.png.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import pick_product, shot
from tests.prod_smoke import environment, launched

pytestmark = pytest.mark.browser
DEMO_PASSWORD = "kaipiao-demo"  # stores.demo.demo_password(); the launcher's env does not set DEMO_PASSWORD
BUYER = ("福州示例贸易有限公司", "91350100M000100Y43")


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("journeys")
    url = os.environ.get("DATABASE_URL")
    database = urlparse(url).path.strip("/") + "_journeys" if url else None
    env = environment(var_dir, database=database, redis_db=os.environ.get("JOURNEY_REDIS_DB", "13"))
    env.pop("DEMO_PASSWORD", None)
    with launched(env, var_dir / "launcher.log") as (base, sandbox):
        yield SimpleNamespace(base=base, sandbox=sandbox, log=var_dir / "launcher.log", state={})


@pytest.fixture
def login(browser, product):
    contexts = []

    def make(username: str, *, width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      base_url=product.base, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20000)
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_load_state("networkidle")
        assert "/accounts/login/" not in page.url, f"login as {username} failed"
        return page

    yield make
    for context in contexts:
        context.close()


def money(text: str) -> Decimal:
    """¥ 1,234.50 → Decimal('1234.50')."""
    found = re.search(r"-?[\d,]+\.\d{2}", text)
    assert found, text
    return Decimal(found.group(0).replace(",", ""))


def wait_for_text(page, selector: str, text: str, *, timeout: float = 90, reload: bool = True) -> None:
    """Until ``selector`` shows ``text`` (reloading between looks: the worker changes the page's data)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in page.inner_text(selector):
            return
        time.sleep(1)
        if reload:
            page.reload()
    raise AssertionError(f"{selector} never showed {text!r}: {page.inner_text(selector)[:500]}")


def clerk_issues_and_asks_for_a_red(page, product) -> None:
    page.click("nav >> text=手工开票")
    page.wait_for_selector("#issue-form")
    page.fill("#id_buyer_name", BUYER[0])
    page.fill("#id_buyer_tax_id", BUYER[1])
    page.fill("#id_buyer_email", "buyer@example.com")
    pick_product(page, "奶酪")
    page.fill("#id_lines-0-quantity", "3")
    page.locator("#id_lines-0-quantity").blur()
    page.wait_for_function("document.getElementById('total-with-tax').textContent.includes('85.50')")
    page.wait_for_selector("#validate-state.ok")
    shot(page, "journey_clerk_issue_form")
    page.click("button[value=preview]")
    page.wait_for_selector("text=确认开票信息")
    shot(page, "journey_clerk_issue_preview")
    page.click("button[value=confirm]")
    page.wait_for_selector("#invoice-status[data-status-url]")
    # The real worker issues it through the sandbox; the page polls and reloads itself.
    page.wait_for_selector("#invoice-status .badge.issued", timeout=90000)
    invoice_url = urlparse(page.url).path
    number = re.search(r"\d{20}", page.inner_text("h1")).group(0)
    shot(page, "journey_clerk_invoice_issued")

    page.goto("/invoices/")
    page.wait_for_selector("table.table")
    assert number in page.inner_text("table.table")
    shot(page, "journey_clerk_invoice_list")

    # A customer brought one box back: 销货退回 by quantity, which waits for the manager.
    page.goto(invoice_url + "reverse/")
    page.select_option("#id_reason", "02")
    page.check("input[name=mode][value=partial]")
    page.fill("#id_qty_1", "1")
    shot(page, "journey_clerk_reverse_form")
    page.click("button[type=submit].primary >> text=提交红冲申请")
    page.wait_for_selector("text=等待店长审批")
    shot(page, "journey_clerk_red_request_waiting")
    product.state.update(invoice_url=invoice_url, number=number, red_form_url=urlparse(page.url).path)


def test_clerk_journey(login, product):
    page = login("clerk_sh001")
    shot(page, "journey_clerk_home")
    clerk_issues_and_asks_for_a_red(page, product)


def test_store_manager_journey(login, product):
    if "red_form_url" not in product.state:  # run on its own: the clerk's part first
        clerk_issues_and_asks_for_a_red(login("clerk_sh001"), product)
    page = login("manager_sh001")
    shot(page, "journey_manager_home")
    page.goto("/red-letter/forms/")
    assert product.state["number"] in page.inner_text("main")
    shot(page, "journey_manager_red_forms")
    page.goto(product.state["red_form_url"])
    page.click("button[value=approve]")
    page.wait_for_load_state("networkidle")
    # Submitted to the platform, confirmed (the buyer has not booked it), red invoice issued: all the worker's.
    wait_for_text(page, "main", "已开具", timeout=120)
    shot(page, "journey_manager_red_form_done")
    page.goto(product.state["invoice_url"])
    body = page.inner_text("main")
    assert product.state["number"] in body and "-28.50" in body.replace(",", ""), body[:1500]
    shot(page, "journey_manager_invoice_partly_reversed")
    page.goto("/audit/exchanges/")
    page.wait_for_load_state("networkidle")
    shot(page, "journey_manager_exchanges")


def test_hq_journey(login, product):
    if "red_form_url" not in product.state:
        pytest.fail("run with the clerk's and the manager's journeys: HQ checks the figures they leave")
    page = login("hq_finance")
    shot(page, "journey_hq_home")
    page.goto("/dashboard/")
    page.wait_for_selector("#store-table")
    shot(page, "journey_hq_dashboard")
    headers = [h.strip() for h in page.locator("#store-table thead th").all_inner_texts()]
    delivered_col = headers.index("已送达")
    shares = []
    for row in page.locator("#store-table tbody tr").all():
        cell = row.locator("th, td").nth(delivered_col).inner_text().strip()
        if cell != "—":
            shares.append(Decimal(cell.rstrip("%")))
    assert shares and all(Decimal(0) <= s <= 100 for s in shares), shares
    assert Decimal(100) in shares, "the clerk's invoice was mailed: SH001 shows 100% (its red one not counted)"
    kpi = page.locator(".kpi", has_text="区间金额").locator("strong").inner_text()
    range_amount = money(kpi)
    assert range_amount == Decimal("57.00"), f"85.50 issued, 28.50 reversed: {kpi}"
    assert "已扣除红冲 1 张" in page.locator(".kpi", has_text="区间金额").inner_text()
    period = page.inner_text("h1 small")
    date_from, date_to = re.findall(r"\d{4}-\d{2}-\d{2}", period)

    page.goto("/audit/reports/")
    page.fill("#id_date_from", date_from)
    page.fill("#id_date_to", date_to)
    page.click("button[value=export]")
    page.wait_for_selector("a:has-text('CSV')")
    shot(page, "journey_hq_reports_export_links")
    with page.expect_download() as download:
        page.locator("li", has_text="对账汇总").locator("a", has_text="CSV").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    header, total = rows[0], rows[-1]
    assert total[0] == "合计", rows
    assert money(total[header.index("价税合计")]) == range_amount, (total, kpi)

    page.fill("#id_date_from", date_from)
    page.fill("#id_date_to", date_to)
    page.click("button[value=report]")
    page.wait_for_selector("#report-download", state="visible", timeout=120000)
    shot(page, "journey_hq_audit_report_ready")
    with page.expect_download() as download:
        page.click("#report-download")
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"

    admin = login("hq_admin")
    admin.goto("/red-letter/batches/")
    admin.wait_for_load_state("networkidle")
    shot(admin, "journey_hq_batch_reversal")
