from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from invoicing.dashboard.selectors import dashboard_alerts_mail
from invoicing.dashboard.stats import category_stats_record_issued
from invoicing.models import CategoryDayStats, Invoice, StoreDayStats
from tests.web.conftest import make_invoice

URL = reverse("invoicing:dashboard")
pytestmark = pytest.mark.django_db


def stats(store, day, **values):
    return StoreDayStats.objects.create(store=store, company=store.company, day=day, **values)


def test_it_shows_one_row_per_store_from_the_day_figures(tenants, client_for):
    today = timezone.localdate()
    stats(tenants.a1, today, issued_count=8, issued_amount=Decimal("800.00"), failed_count=2,
          failed_by_reason={"platform_refused": 2}, delivered_count=6, latency_buckets={"1000": 5, "5000": 3},
          latency_count=8)
    stats(tenants.a1, today - timedelta(days=3), issued_count=4, issued_amount=Decimal("40.00"))
    stats(tenants.b1, today, issued_count=99, issued_amount=Decimal("9.99"))
    CategoryDayStats.objects.create(store=tenants.a1, company=tenants.a, day=today, category="乳制品",
                                    issued_count=8, issued_amount=Decimal("800.00"))
    make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    r = client_for(tenants.hq_finance).get(URL)
    assert r.status_code == 200
    board = r.context["board"]
    rows = {row.store.code: row for row in board.rows}
    assert set(rows) == {"A1", "A2"}
    a1 = rows["A1"]
    assert (a1.issued_today, a1.issued, a1.amount, a1.failed) == (8, 12, Decimal("840.00"), 2)
    assert a1.failure_rate == Decimal("14.3") and a1.delivered_share == Decimal("50.0")
    assert a1.p50 == "≤ 1 秒" and a1.p95 == "≤ 5 秒" and a1.backlog == 1
    assert board.failures == [{"reason": "platform_refused", "label": "平台拒绝", "count": 2}]
    assert [c["category"] for c in board.categories] == ["乳制品"]
    assert len(board.trend) == 30 and board.trend[-1]["count"] == 8
    body = r.content.decode()
    assert 'id="trend-chart"' in body and 'id="share-chart"' in body
    assert "status=failed&amp;reason=platform_refused" in body


def test_it_filters_by_store_and_dates(tenants, client_for):
    today = timezone.localdate()
    stats(tenants.a1, today - timedelta(days=10), issued_count=3, issued_amount=Decimal("3.00"))
    stats(tenants.a2, today - timedelta(days=10), issued_count=5, issued_amount=Decimal("5.00"))
    c = client_for(tenants.hq_admin)
    board = c.get(URL, {"store": tenants.a2.pk}).context["board"]
    assert [r.store.code for r in board.rows] == ["A2"] and board.totals["issued"] == 5
    board = c.get(URL, {"date_from": (today - timedelta(days=5)).isoformat()}).context["board"]
    assert board.totals["issued"] == 0
    assert "所选时间内没有开具记录" in c.get(URL, {"date_from": today.isoformat()}).content.decode()


def test_it_is_404_for_store_roles(tenants, client_for):
    assert client_for(tenants.manager_a1).get(URL).status_code == 404
    assert client_for(tenants.clerk_a1).get(URL).status_code == 404


def test_it_never_shows_another_companys_store(tenants, client_for):
    stats(tenants.b1, timezone.localdate(), issued_count=1, issued_amount=Decimal("1.00"))
    board = client_for(tenants.hq_admin).get(URL, {"store": tenants.b1.pk}).context["board"]
    assert {r.store.code for r in board.rows} == {"A1", "A2"} and board.totals["issued"] == 0


def test_it_escapes_store_names(tenants, client_for):
    tenants.a1.name = "<script>s</script>"
    tenants.a1.save()
    body = client_for(tenants.hq_admin).get(URL).content.decode()
    assert "<script>s</script>" not in body and "&lt;script&gt;s&lt;/script&gt;" in body


def test_alerts_show_when_thresholds_are_passed(tenants, client_for):
    tenants.a1.alert_failure_rate, tenants.a1.alert_backlog = 10, 2
    tenants.a1.save()
    stats(tenants.a1, timezone.localdate(), issued_count=6, failed_count=4, issued_amount=Decimal("6.00"))
    for _ in range(2):
        make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    board = client_for(tenants.hq_admin).get(URL).context["board"]
    assert sorted(a.kind for a in board.alerts) == ["backlog", "failure_rate"]


def test_stuck_counts_old_pending_and_uploading(tenants, client_for):
    old = timezone.now() - timedelta(minutes=11)
    pending = make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    uploading = make_invoice(tenants.a1, status=Invoice.Status.UPLOADING)
    make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    Invoice.objects.filter(pk__in=[pending.pk, uploading.pk]).update(updated_at=old)
    rows = {r.store.code: r for r in client_for(tenants.hq_admin).get(URL).context["board"].rows}
    assert (rows["A1"].pending, rows["A1"].uploading, rows["A1"].stuck) == (2, 1, 2)


def test_alert_mail_goes_once_per_store_and_day(tenants, settings):
    settings.HQ_ALERT_EMAILS = ["hq@example.com"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    tenants.a1.alert_backlog = 1
    tenants.a1.save()
    make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    assert dashboard_alerts_mail() == {"sent": 1, "skipped": 0}
    assert dashboard_alerts_mail() == {"sent": 0, "skipped": 1}
    assert len(mail.outbox) == 1 and "积压" in mail.outbox[0].subject and "A1" in mail.outbox[0].subject


def test_category_stats_are_kept_by_short_name(tenants):
    inv = make_invoice(tenants.a1, amount="100.00")
    category_stats_record_issued(invoices=[inv])
    category_stats_record_issued(invoices=[inv])  # e.g. a second day's upsert adds up
    row = CategoryDayStats.objects.get()
    assert row.category == "乳制品" and row.issued_count == 2 and row.issued_amount == Decimal("226.00")


def test_range_amount_nets_red_like_the_category_chart(tenants, client_for):
    """Regression (issue 14, item 4): 区间金额 counted blue only while the category chart netted red."""
    today = timezone.localdate()
    stats(tenants.a1, today, issued_count=2, issued_amount=Decimal("226.00"), red_issued_count=1,
          red_issued_amount=Decimal("-113.00"))
    stats(tenants.a2, today - timedelta(days=1), issued_count=1, issued_amount=Decimal("50.00"))
    CategoryDayStats.objects.create(store=tenants.a1, company=tenants.a, day=today, category="乳制品",
                                    issued_count=1, issued_amount=Decimal("113.00"))
    CategoryDayStats.objects.create(store=tenants.a2, company=tenants.a, day=today - timedelta(days=1),
                                    category="乳制品", issued_count=1, issued_amount=Decimal("50.00"))
    r = client_for(tenants.hq_finance).get(URL)
    board = r.context["board"]
    rows = {row.store.code: row for row in board.rows}
    assert rows["A1"].amount == Decimal("113.00") and rows["A1"].red == 1 and rows["A1"].issued == 2
    assert board.totals["amount"] == Decimal("163.00") == sum(c["amount"] for c in board.categories)
    assert board.trend[-1]["amount"] == Decimal("113.00") and board.trend[-2]["amount"] == Decimal("50.00")
    body = r.content.decode()
    assert "163.00" in body and "已扣除红冲 1 张" in body


@pytest.mark.parametrize(("counts", "ticks"), [
    ([1], [0, 1, 2, 3, 4]),
    ([0], [0, 1, 2, 3, 4]),
    ([3, 7], [0, 2, 4, 6, 8]),
    ([10], [0, 5, 10, 15, 20]),  # a step of 2.5 would print 2 and 7
    ([41], [0, 20, 40, 60, 80]),
    ([90], [0, 25, 50, 75, 100]),
])
def test_the_trend_charts_count_axis_reads_whole_numbers(counts, ticks):
    """Regression (issue 14, item 4): one invoice in the range drew the left axis as 0, 0, 0, 0, 1."""
    from invoicing.dashboard.views import trend_chart

    today = timezone.localdate()
    trend = [{"day": today - timedelta(days=i), "count": n, "amount": Decimal(n)} for i, n in enumerate(counts)]
    chart = trend_chart(trend)
    assert [t["count"] for t in chart["ticks"]] == ticks
    assert len({t["count"] for t in chart["ticks"]}) == 5 and len({t["amount"] for t in chart["ticks"]}) == 5
    top = max(counts)
    assert all(b["h"] <= chart["bottom"] for b in chart["bars"]) and chart["ticks"][-1]["count"] >= top
