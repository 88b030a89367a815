"""汇总确认: the monthly job, the HQ page against the sandbox (over HTTP), the once-only confirmation,
the audit trail and the reminder."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent, Exchange
from invoicing.models import Invoice, MonthlySummary, MonthlySummaryUpload
from invoicing.summary.jobs import monthly_summaries_compute
from invoicing.summary.services import SummaryRefused, deadline, previous_month, summary_compute, summary_confirm
from tests.sandbox.summary_support import connect_company, issue_at, last_month_start, month_text
from tests.web.conftest import make_invoice


@pytest.mark.django_db
def test_the_job_counts_last_months_issued_invoices_by_shanghai_date(tenants):
    start = last_month_start()
    inside = start + timedelta(hours=1)  # 01:00 on the 1st in Shanghai is 17:00 UTC the day before
    make_invoice(tenants.a1, amount="100.00", issued_at=inside)
    make_invoice(tenants.a2, amount="50.00", issued_at=start + timedelta(days=20))
    make_invoice(tenants.a1, amount="-30.00", kind=Invoice.Kind.RED, issued_at=start + timedelta(days=21))
    make_invoice(tenants.a1, amount="999.00", issued_at=start - timedelta(minutes=1))  # the month before
    make_invoice(tenants.a1, amount="999.00", issued_at=timezone.now())  # this month
    make_invoice(tenants.a1, amount="999.00", status=Invoice.Status.FAILED)
    make_invoice(tenants.b1, amount="7.00", issued_at=start + timedelta(days=2))

    assert monthly_summaries_compute() == {"month": month_text(start), "companies": 2}
    a = MonthlySummary.objects.get(company=tenants.a, month=month_text(start))
    assert (a.blue_count, a.blue_amount, a.blue_tax) == (2, Decimal("150.00"), Decimal("19.50"))
    assert (a.red_count, a.red_amount, a.red_tax) == (1, Decimal("-30.00"), Decimal("-3.90"))
    b = MonthlySummary.objects.get(company=tenants.b)
    assert (b.blue_count, b.blue_amount, b.red_count) == (1, Decimal("7.00"), 0)
    # Run again: still one row per company and month, refreshed while not confirmed...
    make_invoice(tenants.a1, amount="10.00", issued_at=start + timedelta(days=25))
    monthly_summaries_compute()
    a.refresh_from_db()
    assert MonthlySummary.objects.count() == 2 and a.blue_count == 3
    # ...and never changed once confirmed.
    MonthlySummary.objects.filter(pk=a.pk).update(confirmed_at=timezone.now())
    make_invoice(tenants.a1, amount="10.00", issued_at=start + timedelta(days=26))
    monthly_summaries_compute()
    a.refresh_from_db()
    assert a.blue_count == 3


def test_the_job_is_registered_with_the_scheduler():
    from config.cron_jobs import PERIODIC_JOBS

    assert ("invoicing.summary.jobs.monthly_summaries_compute", "default", 3600) in PERIODIC_JOBS


def test_the_deadline_is_the_configured_day_of_the_next_month(settings):
    assert str(deadline("2026-12")) == "2027-01-15"
    settings.SUMMARY_CONFIRM_DEADLINE_DAY = 10
    assert str(deadline("2026-11")) == "2026-12-10"
    assert previous_month(datetime(2027, 1, 1, 0, 30, tzinfo=timezone.get_fixed_timezone(480))) == "2026-12"


@pytest.fixture
def connected(tenants, live_server, settings):
    """Company A on the sandbox with two invoices of last month, on both sides."""
    settings.TAX_PLATFORM_URL = live_server.url + "/sandbox"
    settings.SANDBOX_PROCESSING_DELAY_S = 0
    settings.SANDBOX_THROTTLE_PER_S = 1000
    platform = connect_company(live_server.url, tenants.a)
    start = last_month_start()
    moment = start + timedelta(days=4, hours=11)
    for item in issue_at(platform, platform.http, moment, ["100", "40"]):
        make_invoice(tenants.a1, amount=item["hjje"], number=item["fphm"], issued_at=moment)
    return platform, month_text(start), moment


def page(client, month):
    return client.get(f"/summary/?month={month}")


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_hq_finance_sees_matching_figures_and_confirms_once(tenants, connected, client_for):
    _platform, month, _moment = connected
    client = client_for(tenants.hq_finance)
    response = page(client, month)
    text = response.content.decode()
    assert response.status_code == 200
    assert "本系统与税务平台逐张一致" in text and "不一致" not in text.replace("本系统与平台的数据不一致", "")
    assert 'id="summary-confirm"' in text and "csrfmiddlewaretoken" in text
    assert "待办：" in text  # the reminder banner until confirmed

    response = client.post("/summary/confirm/", {"company": tenants.a.pk, "month": month}, follow=True)
    text = response.content.decode()
    assert f"{month}的汇总确认已上传，平台已确认。" in text and "已确认上传" in text
    assert 'id="summary-confirm"' not in text and "待办：" not in text
    upload = MonthlySummaryUpload.objects.get()
    assert upload.status == MonthlySummaryUpload.Status.DONE and upload.user == tenants.hq_finance
    event = AuditEvent.objects.get(action="summary.confirm")
    assert event.actor_user == tenants.hq_finance and event.after["blue_count"] == "2"

    again = client.post("/summary/confirm/", {"company": tenants.a.pk, "month": month}, follow=True)
    assert f"{month}已确认上传，无需重复提交" in again.content.decode()
    assert MonthlySummaryUpload.objects.count() == 1 and AuditEvent.objects.filter(action="summary.confirm").count() == 1


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_two_clicks_at_once_upload_the_confirmation_once(tenants, connected):
    _platform, month, _moment = connected
    summary = summary_compute(company=tenants.a, month=month)
    outcomes, barrier = [], threading.Barrier(2)

    def click():
        barrier.wait()
        try:
            summary_confirm(summary=MonthlySummary.objects.get(pk=summary.pk), user=tenants.hq_finance)
            outcomes.append("done")
        except SummaryRefused as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("done") == 1, outcomes
    (other,) = [outcome for outcome in outcomes if outcome != "done"]
    assert other in (f"{month}的汇总确认正在上传，请勿重复点击", f"{month}已确认上传，无需重复提交")
    assert Exchange.objects.filter(service="SCFPHZQRXX").count() == 1


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_planted_difference_is_shown_line_by_line_and_the_refusal_kept(tenants, connected, client_for):
    platform, month, moment = connected
    (planted,) = issue_at(platform, platform.http, moment + timedelta(hours=2), ["8"])  # theirs only
    ours_only = make_invoice(tenants.a2, amount="5.00", number="26310000000000999999", issued_at=moment)
    client = client_for(tenants.hq_admin)
    text = page(client, month).content.decode()
    assert text.count("不一致</span>") == 2  # 3 blue invoices on both sides: amount and tax differ
    assert f'data-kind="missing_here">\n    <th scope="row">{planted["fphm"]}' in text and "平台有、本系统无" in text
    assert ours_only.number in text and "本系统有、平台无" in text
    response = client.post("/summary/confirm/", {"company": tenants.a.pk, "month": month}, follow=True)
    text = response.content.decode()
    assert "平台拒绝了汇总确认：蓝字发票金额与平台汇总不符：平台为148.00，上传为145.00（lzfpje）" in text
    assert MonthlySummaryUpload.objects.get().status == MonthlySummaryUpload.Status.REFUSED
    assert AuditEvent.objects.filter(action="summary.confirm_failed").count() == 1
    assert MonthlySummary.objects.get(company=tenants.a, month=month).confirmed_at is None


@pytest.mark.django_db
def test_store_roles_neither_see_nor_reach_the_page(tenants, client_for):
    for user in (tenants.clerk_a1, tenants.manager_a1):
        client = client_for(user)
        assert client.get("/summary/").status_code == 404
        assert client.post("/summary/confirm/", {"company": tenants.a.pk, "month": "2026-01"}).status_code == 404
        assert "汇总确认" not in [label for _url, label in client.get("/").context["nav_items"]]
    hq = client_for(tenants.hq_finance)
    assert "汇总确认" in [label for _url, label in hq.get("/").context["nav_items"]]
    # Another company's month is not there for this HQ.
    summary_compute(company=tenants.b, month="2026-01")
    assert hq.post("/summary/confirm/", {"company": tenants.b.pk, "month": "2026-01"}).status_code == 404


@pytest.mark.django_db
def test_the_page_has_empty_states_and_refuses_a_bad_month_in_chinese(tenants, client_for, settings):
    settings.TAX_PLATFORM_URL = "http://127.0.0.1:9/sandbox"
    client = client_for(tenants.hq_finance)
    bad = client.get("/summary/?month=2026-13")
    assert bad.status_code == 400 and "月份格式应为 yyyy-MM" in bad.content.decode()
    this_month = timezone.now().astimezone(timezone.get_fixed_timezone(480)).strftime("%Y-%m")
    text = client.get(f"/summary/?month={this_month}").content.decode()
    assert "尚未结束" in text and 'id="summary-confirm"' not in text
    # A month that ended, with the platform unreachable: ours shown, the platform's error in Chinese.
    text = client.get("/summary/?month=2026-01").content.decode()
    assert "暂时无法查询平台的汇总数据" in text and "蓝字发票数量" in text


@pytest.mark.django_db
def test_the_confirmation_needs_the_csrf_token(tenants):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenants.hq_finance)
    summary_compute(company=tenants.a, month="2026-01")
    assert client.post("/summary/confirm/", {"company": tenants.a.pk, "month": "2026-01"}).status_code == 403
    assert not MonthlySummaryUpload.objects.exists()


@pytest.mark.django_db
def test_a_company_without_platform_access_is_told_so_and_may_click_again(tenants, client_for):
    summary_compute(company=tenants.a, month="2026-01")
    client = client_for(tenants.hq_finance)
    response = client.post("/summary/confirm/", {"company": tenants.a.pk, "month": "2026-01"}, follow=True)
    assert response.status_code == 200
    assert "未能上传汇总确认：税务平台接入配置有误" in response.content.decode()
    assert MonthlySummaryUpload.objects.get().status == MonthlySummaryUpload.Status.REFUSED
    again = client.post("/summary/confirm/", {"company": tenants.a.pk, "month": "2026-01"}, follow=True)
    assert "未能上传汇总确认" in again.content.decode() and MonthlySummaryUpload.objects.count() == 1


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_after_an_unknown_outcome_the_next_click_asks_the_platform_and_never_uploads_twice(
        tenants, connected, client_for, live_server, settings):
    import time

    import requests
    from django.conf import settings as django_settings

    _platform, month, _moment = connected
    settings.TAX_PLATFORM_READ_TIMEOUT = 1
    fault = requests.post(f"{live_server.url}/sandbox/control/faults", timeout=10,
                          json={"latency_ms": 2500, "services": ["SCFPHZQRXX"], "times": 1},
                          headers={"X-Sandbox-Token": django_settings.SANDBOX_ADMIN_TOKEN})
    assert fault.status_code == 200, fault.text
    client = client_for(tenants.hq_finance)
    assert page(client, month).status_code == 200
    first = client.post("/summary/confirm/", {"company": tenants.a.pk, "month": month}, follow=True)
    assert "上传结果未知" in first.content.decode()
    assert MonthlySummaryUpload.objects.get().status == MonthlySummaryUpload.Status.UNKNOWN
    time.sleep(2.5)  # the platform carries the late request out meanwhile
    second = client.post("/summary/confirm/", {"company": tenants.a.pk, "month": month}, follow=True)
    assert f"{month}的汇总确认已上传，平台已确认。" in second.content.decode()
    assert MonthlySummaryUpload.objects.get().status == MonthlySummaryUpload.Status.DONE
    assert Exchange.objects.filter(service="SCFPHZQRXX").count() == 1
    assert list(AuditEvent.objects.filter(action__startswith="summary.").order_by("pk")
                .values_list("action", flat=True)) == ["summary.confirm_failed", "summary.confirm"]
