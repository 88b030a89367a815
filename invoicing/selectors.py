"""Reads of the invoicing app for the web screens, the dashboard and the red-letter flow."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, QuerySet, Sum

from invoicing.dashboard.stats import LATENCY_BUCKETS_MS
from invoicing.models import ApiKey, Invoice, InvoiceEvent, Order, Product, Refund, StoreDayStats, WebhookEndpoint


def invoice_list(*, user, status: str | None = None, store=None, search: str = "") -> QuerySet[Invoice]:
    """Invoices the user may see, newest first, optionally filtered."""
    qs = Invoice.objects.for_user(user).select_related("store", "order")
    if status:
        qs = qs.filter(status=status)
    if store is not None:
        qs = qs.filter(store=store)
    if search:
        qs = qs.filter(number__startswith=search) | qs.filter(order__order_no=search) | qs.filter(
            buyer_name__icontains=search)
    return qs.order_by("-created_at", "-id")


def invoice_get(*, user, invoice_id: int) -> Invoice:
    """One invoice with its lines and timeline, or Invoice.DoesNotExist (→ 404) when not visible."""
    return (Invoice.objects.for_user(user).select_related("store", "order", "upload_batch", "blue_invoice")
            .prefetch_related("lines", Prefetch("events", queryset=InvoiceEvent.objects.order_by("created_at", "id")))
            .get(pk=invoice_id))


def invoice_timeline(*, invoice: Invoice) -> list[InvoiceEvent]:
    return list(invoice.events.order_by("created_at", "id"))


def order_list(*, user, store=None) -> QuerySet[Order]:
    qs = Order.objects.for_user(user).select_related("store")
    return qs.filter(store=store) if store is not None else qs


def product_list(*, user, company=None, active_only: bool = False) -> QuerySet[Product]:
    qs = Product.objects.for_user(user)
    if company is not None:
        qs = qs.filter(company=company)
    return qs.filter(active=True) if active_only else qs


def api_keys_for_store(*, store) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(store=store).order_by("-created_at")


def webhooks_for_store(*, store) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(store=store)


def refunds_awaiting_red_letter(*, company=None, store=None) -> QuerySet[Refund]:
    """Refunds whose order's invoice was already uploaded/issued: the red-letter flow reverses them.

    Each refund carries ``order`` (its issued blue invoice: ``order.invoices`` kind blue, status
    issued), ``amount`` (with tax) and ``lines`` ([{line_no, quantity, amount}], may be empty for
    an amount-only allowance). Finish with ``invoicing.orders.refunds.refund_mark_reversed``.
    """
    qs = Refund.objects.filter(status=Refund.Status.AWAITING_RED_LETTER).select_related("order", "store")
    if company is not None:
        qs = qs.filter(company=company)
    if store is not None:
        qs = qs.filter(store=store)
    return qs.order_by("received_at", "id")


def store_day_stats(*, user, day_from: date, day_to: date, store=None) -> QuerySet[StoreDayStats]:
    """The dashboard's only source: per store and day."""
    qs = StoreDayStats.objects.for_user(user).filter(day__gte=day_from, day__lte=day_to).select_related("store")
    return qs.filter(store=store) if store is not None else qs


def latency_percentile(buckets: dict, fraction: float) -> int | None:
    """Upper bound (ms) of the histogram bucket holding the given fraction of invoices (p50: 0.5)."""
    total = sum(int(v) for v in buckets.values())
    if not total:
        return None
    running = 0
    for bound in [*(str(b) for b in LATENCY_BUCKETS_MS), "inf"]:
        running += int(buckets.get(bound, 0))
        if running >= fraction * total:
            return None if bound == "inf" else int(bound)
    return None


def merged_buckets(rows) -> dict:
    merged: dict[str, int] = {}
    for row in rows:
        for bound, count in (row.latency_buckets or {}).items():
            merged[bound] = merged.get(bound, 0) + int(count)
    return merged


def totals_for(rows: QuerySet[StoreDayStats]) -> dict:
    return rows.aggregate(orders=Sum("orders_received"), issued=Sum("issued_count"), amount=Sum("issued_amount"),
                          failed=Sum("failed_count"), delivered=Sum("delivered_count"), red=Sum("red_issued_count"))
