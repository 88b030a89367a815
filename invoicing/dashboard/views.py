"""HQ dashboard: one row per store, trend and category charts (server-rendered SVG), failures, alerts."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from invoicing.dashboard.forms import DashboardFilterForm
from invoicing.dashboard.selectors import dashboard_data
from invoicing.models.invoices import ISSUED_ANY
from invoicing.taxcodes.reference import codes_by_short_name
from stores.access import access_for

CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 760, 240, 48, 64, 12, 28


TICKS = 4  # intervals on each axis of the trend chart


def _nice_max(value) -> Decimal:
    """A round axis maximum ≥ value whose TICKS steps are whole numbers: the step is 1, 2, 2.5 or
    5 × 10ⁿ and never below 1, so a count axis reads 0, 1, 2, 3, 4 and never 0, 0, 0, 0, 1."""
    need = max(Decimal(value), Decimal(0)) / TICKS
    scale = Decimal(1)
    while True:
        for step in (1, 2, Decimal("2.5"), 5):
            candidate = scale * step
            if candidate >= need and candidate == candidate.to_integral_value():
                return candidate * TICKS
        scale *= 10


def trend_chart(trend: list[dict]) -> dict:
    """Bars for the daily count, a line for the daily amount; integer pixel geometry."""
    n = max(len(trend), 1)
    plot_w, plot_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    max_count = _nice_max(max((d["count"] for d in trend), default=0))
    max_amount = _nice_max(max((d["amount"] for d in trend), default=0))
    slot = Decimal(plot_w) / n
    bar_w = max(int(slot * Decimal("0.7")), 1)
    bars, points, labels = [], [], []
    for i, d in enumerate(trend):
        x = PAD_L + int(slot * i + (slot - bar_w) / 2)
        h = int(Decimal(d["count"]) * plot_h / max_count)
        bars.append({"x": x, "y": PAD_T + plot_h - h, "w": bar_w, "h": h, "day": d["day"], "count": d["count"],
                     "amount": d["amount"]})
        cx = PAD_L + int(slot * i + slot / 2)
        cy = PAD_T + plot_h - int(d["amount"] * plot_h / max_amount)
        points.append(f"{cx},{cy}")
        if i % max(n // 6, 1) == 0 or i == n - 1:
            labels.append({"x": cx, "text": d["day"].strftime("%m-%d")})
    ticks = [{"y": PAD_T + plot_h - int(plot_h * k / TICKS), "count": int(max_count * k / TICKS),
              "amount": int(max_amount * k / TICKS)} for k in range(TICKS + 1)]
    return {"w": CHART_W, "h": CHART_H, "bars": bars, "line": " ".join(points), "labels": labels, "ticks": ticks,
            "left": PAD_L, "right": CHART_W - PAD_R, "bottom": PAD_T + plot_h, "label_y": CHART_H - 8,
            "has_data": any(d["count"] or d["amount"] for d in trend)}


def share_chart(categories: list[dict], top: int = 8) -> dict:
    """Horizontal bars of the amount share per tax category (top 8, the rest as 其他)."""
    items = list(categories[:top])
    rest = categories[top:]
    if rest:
        items.append({"category": _("其他类别"), "count": sum(c["count"] for c in rest),
                      "amount": sum((c["amount"] for c in rest), Decimal(0)),
                      "share": sum((c["share"] or Decimal(0) for c in rest), Decimal(0))})
    bar_max = 420
    rows = []
    for i, c in enumerate(items):
        share = c["share"] or Decimal(0)
        rows.append({**c, "y": 8 + i * 30, "w": max(int(share * bar_max / 100), 1)})
    return {"rows": rows, "h": 16 + 30 * len(rows), "w": 760, "bar_x": 150}


def drill_links(board, *, store=None, share=None) -> dict:
    """The invoice list filtered to exactly the invoices behind each figure (its totals row repeats the figure).

    Issued figures count blue invoices by the day the platform confirmed them, failures by the
    day they failed (invoicing.dashboard.stats); the backlog is live.
    """
    base = reverse("invoicing:invoice_list")

    def url(**params) -> str:
        return base + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})

    def issued(date_from, date_to, store_pk=None, **extra):
        return url(status=ISSUED_ANY, kind="blue", confirmed_from=date_from, confirmed_to=date_to, store=store_pk, **extra)

    def failed(date_from, date_to, store_pk=None, **extra):
        return url(failed_from=date_from, failed_to=date_to, store=store_pk, **extra)

    today = timezone.localdate()
    selected = store.pk if store else None
    period = (board.date_from.isoformat(), board.date_to.isoformat())
    previous = (board.previous_from.isoformat(), board.previous_to.isoformat())
    for row in board.rows:
        pk = row.store.pk
        row.links = {
            "today": issued(today.isoformat(), today.isoformat(), pk),
            "month": issued(today.replace(day=1).isoformat(), today.isoformat(), pk),
            "issued": issued(*period, pk), "failed": failed(*period, pk),
            "amount": url(status=ISSUED_ANY, confirmed_from=period[0], confirmed_to=period[1], store=pk),
            "backlog": url(status="backlog", store=pk), "stuck": url(status="stuck", store=pk),
        }
    known = codes_by_short_name()
    for row in (share or {}).get("rows", []):
        # 其他 and the top-8 remainder are not one category the list can filter by.
        row["link"] = (url(status=ISSUED_ANY, confirmed_from=period[0], confirmed_to=period[1], store=selected,
                           category=row["category"]) if row["category"] in known else "")
    return {
        "failures": [{**item, "link": failed(*period, selected, status="failed", reason=item["reason"])}
                     for item in board.failures],
        "rates": [{**item, "link": url(status=ISSUED_ANY, confirmed_from=period[0], confirmed_to=period[1],
                                       store=selected, rate=format(item["rate"].normalize(), "f"))}
                  for item in board.rates],
        "today": issued(today.isoformat(), today.isoformat(), selected), "issued": issued(*period, selected),
        # 区间金额 is net of red: its invoices are the blue and the red ones confirmed in the period.
        "amount": url(status=ISSUED_ANY, confirmed_from=period[0], confirmed_to=period[1], store=selected),
        "failed": failed(*period, selected), "backlog": url(status="backlog", store=selected),
        "stuck": url(status="stuck", store=selected),
        "previous_issued": issued(*previous, selected), "previous_failed": failed(*previous, selected),
    }


@login_required
@require_GET
def dashboard(request):
    access = access_for(request)
    access.require("dashboard.view")
    form = DashboardFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    board = dashboard_data(user=request.user, date_from=data.get("date_from"), date_to=data.get("date_to"),
                           store=data.get("store"))
    share = share_chart(board.categories)
    return render(request, "invoicing/dashboard.html", {
        "form": form, "board": board, "links": drill_links(board, store=data.get("store"), share=share),
        "trend": trend_chart(board.trend), "share": share,
        "store_filter": data.get("store"),
    })
