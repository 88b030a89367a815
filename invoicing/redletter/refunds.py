"""Refunds that arrive after issue: a red-letter form per refund, reversing what was refunded.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.cache import cache
from django.db import close_old_connections, transaction

from audit.services import Actor, audit_record
from invoicing.concurrency import retry_on_conflict
from invoicing.errors import ServiceError
from invoicing.models import (
    Invoice,
    RedLetterForm,
    Refund,
)
from invoicing.orders.selectors import refunds_awaiting_red_letter
from invoicing.redletter import rules
from invoicing.redletter.applications import red_letter_form_request, red_letter_form_submit
from invoicing.redletter.common import ACTOR, F_, S
from invoicing.redletter.rules import Requested
from invoicing.redletter.selectors import blue_invoice_remaining
from invoicing.rules.amounts import fmt_money, money, split_with_tax
from invoicing.taxapi import RetryableError

logger = logging.getLogger(__name__)


def _order_line_map(order, blue: Invoice) -> dict[int, int]:
    """Order line number → blue line number (lines fully refunded before issue were dropped from the invoice)."""
    blue_lines = list(blue.lines.order_by("line_no"))
    mapping, position = {}, 0
    for line in order.lines:
        if position < len(blue_lines) and (blue_lines[position].name, blue_lines[position].tax_code) == (
                line["name"], line["tax_code"]):
            mapping[int(line["line_no"])] = blue_lines[position].line_no
            position += 1
    return mapping


def _refund_plan(refund: Refund, blue: Invoice) -> tuple[str, list[Requested] | None, bool]:
    """Reason, lines and whether in full, for a refund against an issued invoice.

    Goods returned by quantity → 02 销货退回; services → 03 服务中止; a mix → 01; a partial refund
    without lines → 04 销售折让 spread over the lines.
    """
    remaining = blue_invoice_remaining(blue)
    by_no = {line.line_no: line for line in remaining.lines}
    services = [line.tax_code.startswith("3") for line in remaining.lines if line.remaining_amount > 0]
    if refund.is_full:
        if all(services):
            return "03", None, True
        if not any(services) and all(line.unit_price is not None for line in remaining.lines):
            return "02", None, True
        return "01", None, True
    if not refund.lines:
        return "04", rules.allocate_amount(remaining.as_rule_lines(), refund.amount), False
    mapping = _order_line_map(refund.order, blue)
    requested, kinds = [], set()
    for line in refund.lines:
        blue_no = mapping.get(int(line["line_no"]))
        if blue_no is None or blue_no not in by_no:
            raise ServiceError("red_refund_line", f"退款第{line['line_no']}行在已开具的发票中找不到对应明细，请人工红冲")
        blue_line = by_no[blue_no]
        quantity = Decimal(line["quantity"]) if line.get("quantity") not in (None, "") else None
        is_service = blue_line.tax_code.startswith("3")
        if quantity is not None and blue_line.unit_price is not None and not is_service:
            requested.append(Requested(line_no=blue_no, quantity=quantity))
            kinds.add("goods_quantity")
        else:
            amount, _tax = split_with_tax(money(line["amount"]), blue_line.rate)
            requested.append(Requested(line_no=blue_no, amount=amount))
            kinds.add("service" if is_service else "goods_amount")
    if kinds == {"goods_quantity"}:
        return "02", requested, False
    if kinds == {"service"}:
        return "03", requested, False
    if kinds == {"goods_amount"}:
        return "04", requested, False
    return "01", requested, False


def refund_reverse(*, refund_id: int) -> RedLetterForm | None:
    """Reverse an issued invoice for a refund (idempotent per refund: one form per refund while not void).

    Locks in the one order (invoicing.concurrency): the blue invoice, then the refund; the audit
    chain head last. The refund used to be locked first, with its company and store rows too,
    which deadlocked against refunds arriving through the API.
    """
    form = RedLetterForm.objects.filter(refund_id=refund_id).order_by("-id").first()
    if form is None:
        form = _refund_form_create(refund_id=refund_id)
    if form is not None and form.submission == F_.Submission.WAITING:
        form = red_letter_form_submit(form_id=form.pk)
    return form


@retry_on_conflict
@transaction.atomic
def _refund_form_create(*, refund_id: int) -> RedLetterForm | None:
    refund = Refund.objects.select_related("order", "company", "store").get(pk=refund_id)
    if refund.status != Refund.Status.AWAITING_RED_LETTER:
        return None
    blue = (Invoice.objects.select_for_update(of=("self",))
            .filter(order=refund.order, kind=Invoice.Kind.BLUE, status=S.ISSUED).order_by("-id").first())
    if blue is None:
        return None  # not issued yet (uploading): the periodic job comes back
    refund = Refund.objects.select_for_update(of=("self",)).select_related("order", "company", "store").get(
        pk=refund_id)
    form = refund.red_letter_forms.order_by("-id").first()
    if form is not None or refund.status != Refund.Status.AWAITING_RED_LETTER:
        return form
    reason, lines, full = _refund_plan(refund, blue)
    return red_letter_form_request(
        invoice=blue, actor=Actor.job(f"refund:{refund.refund_id}"), reason=reason, full=full, lines=lines,
        refund=refund, note=f"退款 {refund.refund_id} 自动红冲（{fmt_money(refund.amount)} 元含税）")


def refunds_reverse_pending(*, limit: int = 200) -> dict:
    """Periodic: every refund waiting for a red letter whose invoice is issued and that has no form yet."""
    close_old_connections()
    report = {"reversed": 0, "failed": 0, "waiting": 0}
    refunds = refunds_awaiting_red_letter().filter(red_letter_forms__isnull=True).values_list("id", flat=True)[:limit]
    for refund_id in list(refunds):
        if cache.get(f"redletter:refund-failed:{refund_id}"):
            continue
        try:
            form = refund_reverse(refund_id=refund_id)
        except ServiceError as exc:
            report["failed"] += 1
            _refund_failed(refund_id, exc.message)
            continue
        except RetryableError:
            report["waiting"] += 1
            continue
        report["reversed" if form is not None else "waiting"] += 1
    return report


def _refund_failed(refund_id: int, message: str) -> None:
    # The rules refused: a person must reverse it from the invoice page; do not retry every minute.
    cache.set(f"redletter:refund-failed:{refund_id}", message, timeout=3600)
    with transaction.atomic():
        refund = Refund.objects.select_related("company", "store").get(pk=refund_id)
        audit_record(actor=ACTOR, action="refund.red_letter_failed", obj=refund, company=refund.company,
                     store=refund.store, after={"message": message})
    logger.warning("automatic reversal of refund %s refused: %s", refund_id, message)

