"""Reads of orders and refunds."""

from __future__ import annotations

from django.db.models import QuerySet

from invoicing.models import Refund


def refunds_awaiting_red_letter(*, company=None, store=None) -> QuerySet[Refund]:
    """Refunds whose order's invoice was already uploaded/issued: the red-letter flow reverses them.

    Each refund carries ``order`` (its issued blue invoice: ``order.invoices`` kind blue, status
    issued), ``amount`` (with tax) and ``lines`` ([{line_no, quantity, amount}], may be empty for
    an amount-only allowance). Finish with ``invoicing.orders.refunds.refund_link_red_invoice``.
    """
    qs = Refund.objects.filter(status=Refund.Status.AWAITING_RED_LETTER).select_related("order", "store")
    if company is not None:
        qs = qs.filter(company=company)
    if store is not None:
        qs = qs.filter(store=store)
    return qs.order_by("received_at", "id")
