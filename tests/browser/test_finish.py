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
