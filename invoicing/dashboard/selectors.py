"""Selectors of the HQ dashboard.

Every figure comes from the per-store, per-day aggregates (StoreDayStats, CategoryDayStats),
so the cost grows with stores × days shown, never with the number of invoices ever issued. The
live reads are the backlog: a COUNT of pending/uploading invoices, which the index
(company, status, id) answers from the backlog rows alone, and the tax per rate (``tax_by_rate``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.dashboard.stats import LATENCY_BUCKETS_MS
from invoicing.models import CategoryDayStats, Invoice, InvoiceLine, StoreDayStats
from invoicing.models.invoices import FAILURE_REASONS
from invoicing.rules.amounts import fmt_rate
from stores.models import Store

logger = logging.getLogger(__name__)

PENDING_STUCK = timedelta(minutes=10)
UPLOADING_STUCK = timedelta(minutes=5)
ALERT_MIN_HANDLED = 5  # a failure rate over fewer invoices than this is noise, not an alert



def percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def bucket_percentile(buckets: dict, q: Decimal) -> str | None:
    """The upper bound (ms, or "inf") of the histogram bucket holding the q-quantile."""
    total = sum(int(v) for v in buckets.values())
    if not total:
        return None
    need = Decimal(total) * q
    running = 0
    for bound in [*(str(b) for b in LATENCY_BUCKETS_MS), "inf"]:
        running += int(buckets.get(bound, 0))
        if running >= need:
            return bound
    return "inf"


def duration_label(bound: str | None) -> str:
    if bound is None:
        return "—"
    if bound == "inf":
        return _("> 1 天")
    ms = int(bound)
    if ms < 1000:
        return _("≤ %(n)s 毫秒") % {"n": ms}
    if ms < 60_000:
        return _("≤ %(n)s 秒") % {"n": ms // 1000}
    if ms < 3_600_000:
        return _("≤ %(n)s 分钟") % {"n": ms // 60_000}
    if ms < 86_400_000:
        return _("≤ %(n)s 小时") % {"n": ms // 3_600_000}
    return _("≤ 1 天")


@dataclass
class Alert:
    store: Store
    kind: str  # failure_rate | backlog
    title: str
    message: str


@dataclass
class StoreRow:
    store: Store
    issued_today: int = 0
    issued_month: int = 0
    issued: int = 0  # blue invoices
    red: int = 0  # red invoices issued in the range
    amount: Decimal = Decimal("0.00")  # 价税合计, net of red
    failed: int = 0
    delivered: int = 0
    pending: int = 0
    uploading: int = 0
    stuck: int = 0
    buckets: dict = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def failure_rate(self) -> Decimal | None:
        return percent(self.failed, self.issued + self.failed)

    @property
    def delivered_share(self) -> Decimal | None:
        return percent(self.delivered, self.issued)

    @property
    def backlog(self) -> int:
        return self.pending + self.uploading

    @property
    def p50(self) -> str:
        return duration_label(bucket_percentile(self.buckets, Decimal("0.5")))

    @property
    def p95(self) -> str:
        return duration_label(bucket_percentile(self.buckets, Decimal("0.95")))


@dataclass
class Dashboard:
    date_from: date
    date_to: date
    rows: list[StoreRow]
    trend: list[dict]  # day, count (blue), amount (net of red) for every day of the range, zeros included
    categories: list[dict]  # category, count, amount, share
    failures: list[dict]  # reason, label, count
    alerts: list[Alert]
    totals: dict
    previous: dict  # the same figures over the period of the same length just before
    previous_from: date
    previous_to: date
    rates: list[dict]  # rate, count, amount, tax of the issued lines per rate (red netted)


def _store_ids(stores) -> list[int]:
    return [s.pk for s in stores]


def stuck_backlog(*, now) -> Q:
    """Backlog that has not moved for too long: the 超时 figure, and the invoice list it links to."""
    return (Q(status=Invoice.Status.PENDING, updated_at__lt=now - PENDING_STUCK)
            | Q(status=Invoice.Status.UPLOADING, updated_at__lt=now - UPLOADING_STUCK))


def backlog_by_store(*, stores, now=None) -> dict[int, dict]:
    """Pending / uploading / stuck per store: a COUNT over the live backlog only."""
    now = now or timezone.now()
    stores = list(stores)
    if not stores:
        return {}
    rows = (
        Invoice.objects.filter(company_id__in={s.company_id for s in stores}, store_id__in=_store_ids(stores),
                               status__in=[Invoice.Status.PENDING, Invoice.Status.UPLOADING])
        .values("store_id")
        .annotate(
            pending=Count("id", filter=Q(status=Invoice.Status.PENDING)),
            uploading=Count("id", filter=Q(status=Invoice.Status.UPLOADING)),
            stuck=Count("id", filter=stuck_backlog(now=now)),
        )
        .order_by()
    )
    return {row["store_id"]: row for row in rows}


def _json_sums(*, column: str, store_ids: list[int], date_from: date, date_to: date, by_store: bool):
    """Sum a JSON counter column (e.g. latency_buckets) over days, per key (and per store)."""
    if column not in ("latency_buckets", "failed_by_reason") or not store_ids:
        return []
    group = "s.store_id, j.key" if by_store else "j.key"
    sql = (
        f"SELECT {group}, sum(j.value::bigint) FROM {StoreDayStats._meta.db_table} s, "  # noqa: S608 - fixed names
        f"jsonb_each_text(s.{column}) j WHERE s.store_id = ANY(%s) AND s.day >= %s AND s.day <= %s "
        f"GROUP BY {group}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [store_ids, date_from, date_to])
        return cursor.fetchall()


def dashboard_data(*, user, date_from: date | None = None, date_to: date | None = None, store=None) -> Dashboard:
    today = timezone.localdate()
    date_to = date_to or today
    date_from = date_from or (date_to - timedelta(days=29))
    month_start = today.replace(day=1)
    stores = Store.objects.for_user(user).select_related("company").order_by("company_id", "code")
    if store is not None:
        stores = stores.filter(pk=store.pk)
    stores = list(stores)
    ids = _store_ids(stores)
    rows = {s.pk: StoreRow(store=s) for s in stores}

    in_range = Q(day__gte=date_from, day__lte=date_to)
    per_store = (
        StoreDayStats.objects.filter(store_id__in=ids)
        .filter(in_range | Q(day__gte=month_start, day__lte=today))
        .values("store_id")
        .annotate(
            issued=Sum("issued_count", filter=in_range), amount=Sum("issued_amount", filter=in_range),
            red=Sum("red_issued_count", filter=in_range), red_amount=Sum("red_issued_amount", filter=in_range),
            failed=Sum("failed_count", filter=in_range), delivered=Sum("delivered_count", filter=in_range),
            today=Sum("issued_count", filter=Q(day=today)),
            month=Sum("issued_count", filter=Q(day__gte=month_start, day__lte=today)),
        )
        .order_by()
    )
    for agg in per_store:
        row = rows[agg["store_id"]]
        row.issued, row.failed = agg["issued"] or 0, agg["failed"] or 0
        # Net of red, like the category chart and the reconciliation export (red amounts are negative).
        row.red = agg["red"] or 0
        row.amount = (agg["amount"] or Decimal("0.00")) + (agg["red_amount"] or Decimal("0.00"))
        row.delivered, row.issued_today, row.issued_month = agg["delivered"] or 0, agg["today"] or 0, agg["month"] or 0
    for store_id, key, total in _json_sums(column="latency_buckets", store_ids=ids, date_from=date_from,
                                           date_to=date_to, by_store=True):
        rows[store_id].buckets[key] = int(total)
    for store_id, backlog in backlog_by_store(stores=stores).items():
        row = rows[store_id]
        row.pending, row.uploading, row.stuck = backlog["pending"], backlog["uploading"], backlog["stuck"]

    by_day = {
        item["day"]: item
        for item in StoreDayStats.objects.filter(store_id__in=ids).filter(in_range).values("day")
        .annotate(count=Sum("issued_count"), amount=Sum("issued_amount"), red_amount=Sum("red_issued_amount"))
        .order_by()
    }
    trend = []
    day = date_from
    while day <= date_to:
        item = by_day.get(day, {})
        amount = (item.get("amount") or Decimal("0.00")) + (item.get("red_amount") or Decimal("0.00"))
        trend.append({"day": day, "count": item.get("count") or 0, "amount": amount})
        day += timedelta(days=1)

    categories = list(
        CategoryDayStats.objects.filter(store_id__in=ids).filter(in_range).values("category")
        .annotate(count=Sum("issued_count"), amount=Sum("issued_amount")).order_by("-amount", "category")
    )
    category_total = sum((c["amount"] for c in categories), Decimal(0))
    for c in categories:
        c["share"] = percent(c["amount"], category_total) if category_total > 0 else None

    failures = sorted(
        ({"reason": key, "label": FAILURE_REASONS.get(key, key), "count": int(total)}
         for key, total in _json_sums(column="failed_by_reason", store_ids=ids, date_from=date_from,
                                      date_to=date_to, by_store=False)),
        key=lambda f: (-f["count"], f["reason"]),
    )
    store_rows = list(rows.values())
    today_rows = _today_rows(stores) if (date_from, date_to) != (today, today) else {
        r.store.pk: (r.issued, r.failed) for r in store_rows}
    alerts = []
    for row in store_rows:
        issued_today, failed_today = today_rows.get(row.store.pk, (0, 0))
        row.alerts = alerts_for(store=row.store, issued=issued_today, failed=failed_today, backlog=row.backlog,
                                stuck=row.stuck)
        alerts += row.alerts
    totals = {
        "issued": sum(r.issued for r in store_rows), "red": sum(r.red for r in store_rows), "amount": sum((r.amount for r in store_rows), Decimal("0.00")),
        "failed": sum(r.failed for r in store_rows), "backlog": sum(r.backlog for r in store_rows),
        "stuck": sum(r.stuck for r in store_rows), "today": sum(r.issued_today for r in store_rows),
    }
    totals["failure_rate"] = percent(totals["failed"], totals["issued"] + totals["failed"])
    previous_to = date_from - timedelta(days=1)
    previous_from = previous_to - (date_to - date_from)
    previous = period_totals(store_ids=ids, date_from=previous_from, date_to=previous_to)
    for name in ("issued", "amount", "failed"):
        totals[f"{name}_change"] = change_percent(totals[name], previous[name])
    return Dashboard(date_from=date_from, date_to=date_to, rows=store_rows, trend=trend, categories=categories,
                     failures=failures, alerts=alerts, totals=totals, previous=previous,
                     previous_from=previous_from, previous_to=previous_to,
                     rates=tax_by_rate(store_ids=ids, date_from=date_from, date_to=date_to))


def period_totals(*, store_ids: list[int], date_from: date, date_to: date) -> dict:
    """区间开具, 区间金额 and failures of a period, from the day figures (for this period against the last)."""
    agg = StoreDayStats.objects.filter(store_id__in=store_ids, day__gte=date_from, day__lte=date_to).aggregate(
        issued=Sum("issued_count"), amount=Sum("issued_amount"), failed=Sum("failed_count"))
    return {"issued": agg["issued"] or 0, "amount": agg["amount"] or Decimal("0.00"), "failed": agg["failed"] or 0}


def change_percent(current, previous) -> Decimal | None:
    """+12.5 for a rise of an eighth; None when the last period had nothing to compare with."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP)


def tax_by_rate(*, store_ids: list[int], date_from: date, date_to: date) -> list[dict]:
    """金额 and 税额 per rate of the lines of invoices confirmed in the period, red invoices netting out.

    A live read (the day figures do not keep rates): one grouped query over the period's lines;
    its cost grows with the invoices of the period shown, unlike the figures above.
    """
    if not store_ids:
        return []
    tz = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    rows = (InvoiceLine.objects.filter(invoice__store_id__in=store_ids, invoice__status=Invoice.Status.ISSUED,
                                       invoice__confirmed_at__gte=start, invoice__confirmed_at__lt=end,
                                       rate__isnull=False)
            .values("rate").annotate(amount=Sum("amount"), tax=Sum("tax"), count=Count("invoice_id", distinct=True))
            .order_by("-rate"))
    return [{"rate": r["rate"], "rate_display": fmt_rate(r["rate"]), "amount": r["amount"] or Decimal("0.00"),
             "tax": r["tax"] or Decimal("0.00"), "count": r["count"]} for r in rows]


def _today_rows(stores) -> dict[int, tuple[int, int]]:
    today = timezone.localdate()
    return {
        row["store_id"]: (row["issued_count"], row["failed_count"])
        for row in StoreDayStats.objects.filter(store_id__in=_store_ids(stores), day=today)
        .values("store_id", "issued_count", "failed_count")
    }


def alerts_for(*, store: Store, issued: int, failed: int, backlog: int, stuck: int = 0) -> list[Alert]:
    """Today's alerts of one store against its own thresholds (Store.alert_failure_rate, alert_backlog)."""
    alerts = []
    rate = percent(failed, issued + failed)
    if rate is not None and issued + failed >= ALERT_MIN_HANDLED and rate >= store.alert_failure_rate:
        alerts.append(Alert(store=store, kind="failure_rate", title=f"今日失败率 {rate}%",
                            message=(f"门店 {store.code} {store.name} 今日开具失败 {failed} 张、成功 {issued} 张，"
                                     f"失败率 {rate}%，已达到告警阈值 {store.alert_failure_rate}%。"
                                     "请查看失败原因并修正后重新提交。")))
    if backlog >= store.alert_backlog:
        alerts.append(Alert(store=store, kind="backlog", title=f"积压 {backlog} 张",
                            message=(f"门店 {store.code} {store.name} 有 {backlog} 张发票等待开具或上传中"
                                     f"（其中 {stuck} 张超时未动），已达到告警阈值 {store.alert_backlog} 张。"
                                     "请检查开票任务和税务平台连接。")))
    return alerts


def store_alerts_today() -> list[Alert]:
    """Every active store's alerts now (for the periodic mail job; no user scope: HQ gets all)."""
    stores = list(Store.objects.filter(is_active=True).select_related("company"))
    today_rows = _today_rows(stores)
    backlog = backlog_by_store(stores=stores)
    alerts = []
    for store in stores:
        issued, failed = today_rows.get(store.pk, (0, 0))
        live = backlog.get(store.pk, {})
        alerts += alerts_for(store=store, issued=issued, failed=failed,
                             backlog=live.get("pending", 0) + live.get("uploading", 0), stuck=live.get("stuck", 0))
    return alerts


def dashboard_alerts_mail() -> dict:
    """Periodic: mail HQ once per store, kind and day when a store passes its alert thresholds.

    The Redis key (SET NX, kept two days) is what makes "once a day" hold across workers and
    re-runs; a failed send releases it so the next run tries again.
    """
    import django_rq
    from django.conf import settings
    from django.core.mail import send_mail

    recipients = list(settings.HQ_ALERT_EMAILS or [])
    redis = django_rq.get_connection("default")
    today = timezone.localdate()
    sent, skipped = 0, 0
    for alert in store_alerts_today():
        key = f"kaipiao:alert:{alert.store.pk}:{alert.kind}:{today:%Y%m%d}"
        if not recipients or not redis.set(key, "1", nx=True, ex=2 * 86400):
            skipped += 1
            continue
        subject = f"【开票告警】{alert.store.company.name} {alert.store.code} {alert.store.name}：{alert.title}"
        try:
            send_mail(subject, alert.message + "\n\n请登录总部看板查看详情。", None, recipients)
            sent += 1
        except Exception:  # noqa: BLE001 - let the next run retry
            redis.delete(key)
            logger.exception("alert mail for store %s (%s) failed", alert.store.pk, alert.kind)
    return {"sent": sent, "skipped": skipped}
