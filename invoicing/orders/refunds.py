"""Refunds: before the invoice is uploaded they shrink or cancel it; after, they wait for a red letter.

What to reverse is ``invoicing.orders.selectors.refunds_awaiting_red_letter``; the red-letter
package reverses it (``invoicing.redletter.refunds``) and calls ``refund_link_red_invoice``; the
refund is ``reversed`` once that red invoice is issued (``invoicing.issuing.pipeline``).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction

from audit.services import Actor, audit_record
from invoicing.concurrency import retry_on_conflict
from invoicing.enqueue import enqueue
from invoicing.errors import ServiceError
from invoicing.issuing.actions import invoice_line_rows
from invoicing.issuing.drafts import draft_from_order_lines
from invoicing.issuing.transitions import begin, record_transitions
from invoicing.models import Invoice, InvoiceLine, Order, Refund
from invoicing.rules.amounts import compute_line, compute_totals, unit_price
from invoicing.rules.amounts import stored_decimal as _dec

S = Invoice.Status
NOT_YET_UPLOADED = (S.DRAFT, S.PENDING, S.FAILED)


def _refund_received_before(*, store, parsed) -> Refund | None:
    existing = Refund.objects.select_related("order").filter(company=store.company, refund_id=parsed.refund_id).first()
    if existing is not None and (not parsed.same_content(existing.payload_hash) or existing.store_id != store.pk):
        raise ServiceError("refund_id_conflict", f"退款单号 {parsed.refund_id} 已提交过且内容不同，请勿修改后重复提交",
                           "refund_id")
    return existing


@retry_on_conflict
@transaction.atomic
def refund_receive(*, store, parsed, actor: Actor) -> tuple[Refund, bool]:
    """Store a refund (idempotent by refund_id) and apply it to the order's invoice; returns (refund, created).

    Locks in the one order (invoicing.concurrency): the order, its invoice, then the new refund.
    """
    company = store.company
    existing = _refund_received_before(store=store, parsed=parsed)
    if existing is not None:
        return existing, False
    order = (Order.objects.select_for_update(of=("self",))
             .filter(company=company, store=store, order_no=parsed.order_no).first())
    if order is None:
        raise ServiceError("order_not_found", f"本门店没有订单号为 {parsed.order_no} 的订单", "order_no")
    # A retry of the same refund that waited for the order's lock finds the first one's row now.
    existing = _refund_received_before(store=store, parsed=parsed)
    if existing is not None:
        return existing, False
    previous = list(order.refunds.all())
    refunded_before = sum((r.amount for r in previous), Decimal(0))
    remaining = order.total_with_tax - refunded_before
    if parsed.amount > remaining:
        raise ServiceError("refund_exceeds_order",
                           f"退款金额 {parsed.amount} 超过订单剩余可退金额 {remaining}", "amount")
    order_lines = {line["line_no"]: line for line in order.lines}
    per_line = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for refund in previous:
        for line in refund.lines:
            per_line[line["line_no"]][0] += _dec(line["amount"])
            per_line[line["line_no"]][1] += _dec(line.get("quantity")) or 0
    for index, line in enumerate(parsed.lines):
        source = order_lines.get(line["line_no"])
        if source is None:
            raise ServiceError("refund_line_unknown", f"订单没有第{line['line_no']}行", f"lines[{index}].line_no")
        per_line[line["line_no"]][0] += line["amount"]
        per_line[line["line_no"]][1] += line["quantity"] or 0
        if per_line[line["line_no"]][0] > _dec(source["with_tax"]):
            raise ServiceError("refund_line_exceeds", f"第{line['line_no']}行累计退款超过该行金额 {source['with_tax']}",
                               f"lines[{index}].amount")
        if source.get("quantity") and per_line[line["line_no"]][1] > _dec(source["quantity"]):
            raise ServiceError("refund_quantity_exceeds", f"第{line['line_no']}行累计退货数量超过该行数量 {source['quantity']}",
                               f"lines[{index}].quantity")
    is_full = parsed.amount == remaining

    invoice = (Invoice.objects.select_for_update(of=("self",)).select_related("company", "store", "order")
               .filter(order=order, kind=Invoice.Kind.BLUE).exclude(status=S.CANCELLED).order_by("-id").first())
    if invoice is not None and invoice.status in NOT_YET_UPLOADED:
        if not is_full and not parsed.lines:
            raise ServiceError("refund_lines_required",
                               "发票尚未开具，部分退款须提供退款明细（lines：行号与金额），以便扣减待开发票", "lines")
        status = Refund.Status.APPLIED
    elif invoice is not None:
        status = Refund.Status.AWAITING_RED_LETTER
    else:
        status = Refund.Status.APPLIED

    refund = Refund.objects.create(
        company=company, store=store, order=order, refund_id=parsed.refund_id, payload_hash=parsed.payload_hash,
        lines=[{"line_no": line["line_no"], "quantity": None if line["quantity"] is None else str(line["quantity"]),
                "amount": str(line["amount"])} for line in parsed.lines],
        amount=parsed.amount, is_full=is_full, reason=parsed.reason, status=status, refunded_at=parsed.refunded_at,
    )
    audit_record(actor=actor, action="refund.receive", obj=refund, company=company, store=store,
                 after={"refund_id": refund.refund_id, "order": order.order_no, "amount": refund.amount,
                        "status": refund.status})
    if status == Refund.Status.AWAITING_RED_LETTER:
        # Reverse right after commit; the periodic refunds_reverse_pending job catches any miss.
        refund_pk = refund.pk
        transaction.on_commit(lambda: refund_schedule_reversal(refund_pk))
    if invoice is not None and status == Refund.Status.APPLIED:
        if is_full:
            t = begin(invoice, f"订单已全额退款（{refund.refund_id}），未开具的发票取消")
            invoice.status = S.CANCELLED
            record_transitions([t], actor=actor, action="invoice.cancel", update_fields=["status"])
        else:
            _reduce_invoice(invoice, order, per_line, refund, actor)
    order.status = Order.Status.REFUNDED if is_full else Order.Status.PARTLY_REFUNDED
    order.save(update_fields=["status"])
    return refund, True


def _reduce_invoice(invoice: Invoice, order: Order, per_line, refund: Refund, actor: Actor) -> None:
    """Rebuild a not-yet-uploaded invoice from the order lines minus everything refunded so far."""
    new_lines = []
    for line in order.lines:
        refunded_amount, refunded_quantity = per_line.get(line["line_no"], (Decimal(0), Decimal(0)))
        with_tax = _dec(line["with_tax"]) - refunded_amount
        if with_tax <= 0:
            continue
        quantity = _dec(line.get("quantity"))
        if quantity is not None:
            quantity = quantity - refunded_quantity
        rate = _dec(line["rate"])
        # A line still waiting for its code has no rate: it keeps its total with tax until coded.
        figures = compute_line(rate=rate if rate is not None else 0, amount=with_tax, price_includes_tax=True)
        new_lines.append({
            **line, "amount": figures.amount, "tax": figures.tax if rate is not None else None,
            "quantity": quantity if quantity and quantity > 0 else None,
            "unit_price": unit_price(figures.amount / quantity) if quantity and quantity > 0 else None,
        })
    t = begin(invoice, f"订单部分退款（{refund.refund_id}），待开发票按退款扣减")
    if not new_lines:
        invoice.status = S.CANCELLED
        record_transitions([t], actor=actor, action="invoice.cancel", update_fields=["status"])
        return
    totals = compute_totals((line["amount"], line["tax"] or Decimal(0)) for line in new_lines)
    InvoiceLine.objects.filter(invoice=invoice).delete()
    draft = draft_from_order_lines(invoice_type=invoice.type, buyer={}, remark=invoice.remark, lines=new_lines,
                                   totals=(totals.amount, totals.tax, totals.with_tax))
    InvoiceLine.objects.bulk_create(invoice_line_rows(invoice, draft))
    invoice.total_amount, invoice.total_tax, invoice.total_with_tax = totals.amount, totals.tax, totals.with_tax
    record_transitions([t], actor=actor, action="invoice.reduce",
                       update_fields=["total_amount", "total_tax", "total_with_tax"])


def refund_schedule_reversal(refund_id: int) -> bool:
    """Reverse right after commit instead of waiting for the periodic job (never raises)."""
    return enqueue("tax", "invoicing.redletter.jobs.refund_reverse", refund_id, retry=True)


@transaction.atomic
def refund_link_red_invoice(*, refund: Refund, red_invoice: Invoice, actor: Actor) -> Refund:
    """For the red-letter flow: link the red invoice that will reverse this refund (call in its transaction).

    The refund stays ``awaiting_red_letter`` until that invoice is *issued* (the pipeline marks it
    ``reversed`` in the transaction that records the issue); a red invoice that fails leaves the
    refund waiting, and the API shows the red invoice's status and reason.
    """
    refund = Refund.objects.select_for_update(of=("self",)).select_related("company", "store").get(pk=refund.pk)
    if refund.status != Refund.Status.AWAITING_RED_LETTER:
        raise ServiceError("refund_not_awaiting", "该退款不在待红冲状态")
    refund.red_invoice = red_invoice
    refund.save(update_fields=["red_invoice"])
    audit_record(actor=actor, action="refund.red_invoice", obj=refund, company=refund.company, store=refund.store,
                 before={"red_invoice": None}, after={"red_invoice": red_invoice.pk})
    return refund
