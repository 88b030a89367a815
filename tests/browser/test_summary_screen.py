"""汇总确认 in Chromium: HQ finance is reminded, sees a difference planted on the platform line by
line, has the confirmation refused for it, and confirms the month once the records agree."""

from __future__ import annotations

from datetime import timedelta

import pytest

from invoicing.models import MonthlySummary, MonthlySummaryUpload
from invoicing.summary.jobs import monthly_summaries_compute
from tests.browser.conftest import shot
from tests.sandbox.summary_support import connect_company, issue_at, last_month_start, month_text
from tests.web.conftest import make_invoice

pytestmark = pytest.mark.browser


def test_hq_finance_confirms_a_month_after_seeing_a_planted_difference(tenants, new_page, live_server, settings):
    settings.TAX_PLATFORM_URL = live_server.url + "/sandbox"
    settings.SANDBOX_THROTTLE_PER_S = 1000
    platform = connect_company(live_server.url, tenants.a)
    start = last_month_start()
    month, moment = month_text(start), start + timedelta(days=6, hours=14)
    for item in issue_at(platform, platform.http, moment, ["100", "40"]):
        make_invoice(tenants.a1, amount=item["hjje"], number=item["fphm"], issued_at=moment)
    (planted,) = issue_at(platform, platform.http, moment + timedelta(hours=1), ["8"])  # on the platform only
    monthly_summaries_compute()

    page = new_page(tenants.hq_finance)
    assert "发票汇总尚未确认" in page.inner_text("#summary-reminder")
    page.click("nav >> text=汇总确认")
    page.wait_for_selector("#summary-figures")
    difference = page.locator("#summary-differences tr[data-kind=missing_here]")
    assert planted["fphm"] in difference.inner_text() and "平台有、本系统无" in difference.inner_text()
    assert page.locator("#summary-figures tr.alerting").count() == 3  # count, amount and tax of the blue ones
    shot(page, "summary_difference")
    page.click("#summary-confirm")
    page.wait_for_selector(".messages .msg-error")
    assert "蓝字发票数量与平台汇总不符：平台为3，上传为2（lzfpsl）" in page.inner_text(".messages")
    assert MonthlySummary.objects.get(company=tenants.a, month=month).confirmed_at is None

    # The missing invoice is found and recorded here; the page now agrees with the platform.
    make_invoice(tenants.a2, amount="8.00", number=planted["fphm"], issued_at=moment + timedelta(hours=1))
    page.reload()
    page.wait_for_selector("#summary-no-differences")
    assert page.locator("#summary-figures tr.alerting").count() == 0
    page.click("#summary-confirm")
    page.wait_for_selector(".messages .msg-success")
    assert f"{month}的汇总确认已上传，平台已确认。" in page.inner_text(".messages")
    assert "已确认上传" in page.inner_text("#summary-state")
    assert page.locator("#summary-confirm").count() == 0 and page.locator("#summary-reminder").count() == 0
    shot(page, "summary_confirmed")
    assert MonthlySummaryUpload.objects.get().status == MonthlySummaryUpload.Status.DONE
