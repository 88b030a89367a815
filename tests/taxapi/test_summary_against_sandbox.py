"""The provider's monthly summary calls (SCFPHZQRXX / CXFPHZQRXX) against the sandbox over real HTTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from audit.models import Exchange
from invoicing.taxapi import get_provider
from invoicing.taxapi.base import MonthFigures, SummaryState
from invoicing.taxapi.errors import BusinessError
from tests.factories import CompanyFactory
from tests.sandbox.summary_support import connect_company, issue_at, last_month_start, month_text

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, databases="__all__")]


@pytest.fixture
def company(live_server, settings):
    settings.TAX_PLATFORM_URL = live_server.url + "/sandbox"
    settings.SANDBOX_PROCESSING_DELAY_S = 0
    settings.SANDBOX_THROTTLE_PER_S = 1000
    company = CompanyFactory(name="上海汇总测试有限公司")
    platform = connect_company(live_server.url, company)
    start = last_month_start()
    issued = issue_at(platform, platform.http, start + timedelta(days=9, hours=15), ["100", "20.5"])
    return company, month_text(start), issued


def test_the_provider_reads_the_platforms_month_and_pages(company):
    company, month, issued = company
    provider = get_provider(company)
    assert provider.tax_office_code == "13100000000"  # derived from the USCC's province 31
    summary = provider.month_summary(month=month)
    assert summary.state == SummaryState.UNCONFIRMED and summary.state_at is None
    assert summary.figures == MonthFigures(2, Decimal("120.50"), Decimal("15.66"), 0, Decimal("0.00"), Decimal("0.00"))
    assert [(i.number, i.is_red, i.amount, i.tax) for i in summary.invoices] == [
        (issued[0]["fphm"], False, Decimal("100.00"), Decimal("13.00")),
        (issued[1]["fphm"], False, Decimal("20.50"), Decimal("2.66"))]
    page = provider.month_summary(month=month, page_no=2, page_size=1)
    assert (page.total, page.has_more, [i.number for i in page.invoices]) == (2, False, [issued[1]["fphm"]])
    row = Exchange.objects.filter(service="CXFPHZQRXX").order_by("pk").first()
    assert row.outcome == "ok" and row.request["xsfsjswjgdm"] == "13100000000" and row.request["ptbh"] == \
        company.platform_unit_id and month in row.refs


def test_the_provider_confirms_and_cancels_and_reports_a_refusal(company):
    company, month, _ = company
    provider = get_provider(company)
    wrong = MonthFigures(2, Decimal("120.00"), Decimal("15.66"), 0, Decimal("0"), Decimal("0"))
    with pytest.raises(BusinessError) as refused:
        provider.month_summary_confirm(month=month, figures=wrong)
    assert refused.value.code == "01" and "（lzfpje）" in refused.value.message
    right = MonthFigures(2, Decimal("120.50"), Decimal("15.66"), 0, Decimal("0"), Decimal("0"))
    receipt = provider.month_summary_confirm(month=month, figures=right)
    assert receipt.month == month and receipt.state == SummaryState.CONFIRMED and receipt.state_at is not None
    assert provider.month_summary(month=month).state == SummaryState.CONFIRMED
    assert provider.month_summary_cancel(month=month).state == SummaryState.CANCELLED
    outcomes = list(Exchange.objects.filter(service="SCFPHZQRXX").order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["business_error", "ok", "ok"]


def test_a_company_with_its_own_tax_office_code_sends_that_one(company):
    company, month, _ = company
    company.tax_office_code = "14403000000"  # 深圳 (计划单列市): not the province's code
    company.save(update_fields=["tax_office_code"])
    get_provider(company).month_summary(month=month)
    assert Exchange.objects.filter(service="CXFPHZQRXX").latest("pk").request["xsfsjswjgdm"] == "14403000000"
