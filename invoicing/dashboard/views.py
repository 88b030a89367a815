"""HQ dashboard: one row per store, trend and category charts (server-rendered SVG), failures, alerts."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from invoicing.dashboard.forms import DashboardFilterForm
from invoicing.dashboard.selectors import dashboard_data
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


@login_required
@require_GET
def dashboard(request):
    access = access_for(request)
    access.require("dashboard.view")
    form = DashboardFilterForm(request.GET or None, user=request.user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    board = dashboard_data(user=request.user, date_from=data.get("date_from"), date_to=data.get("date_to"),
                           store=data.get("store"))
    return render(request, "invoicing/dashboard.html", {
        "form": form, "board": board, "trend": trend_chart(board.trend), "share": share_chart(board.categories),
        "store_filter": data.get("store"),
    })
