"""Coding the lines an order's intake deferred past its request budget (issue 13 item 7)."""

from __future__ import annotations

import logging

from django.db import transaction

from audit.services import Actor
from invoicing.issuing.actions import invoice_submit
from invoicing.models import Invoice, Order
from invoicing.orders.services import rollout_selects
from invoicing.rules.amounts import stored_decimal
from invoicing.taxcodes.coding import DEFERRED, NEEDS_REVIEW, AutoCoder, invoice_line_code_choose, waiting_message

logger = logging.getLogger(__name__)


@transaction.atomic
def order_deferred_lines_code(*, order_id: int, actor: Actor) -> dict:
    """Code the order's deferred lines as the intake would have; safe to run twice.

    A line the matcher codes gets its code on the waiting draft (``auto``); one it cannot waits
    for a person (``needs_review``). When no line waits any more and the store's rollout selects
    the order, the draft goes to the pipeline, as it would have on receipt.
    """
    order = Order.objects.select_for_update(of=("self",)).select_related("store__company").get(pk=order_id)
    deferred = [line for line in order.lines if line.get("tax_code_status") == DEFERRED]
    if not deferred:
        return {"coded": 0, "waiting": 0, "submitted": False}
    invoice = order.invoices.filter(status=Invoice.Status.DRAFT).order_by("pk").first()
    coder = AutoCoder(order.store.company)  # no budget: this is the background
    chosen = []
    for line in deferred:
        given = stored_decimal(line.get("rate")) if line.get("rate_given") else None
        decision = coder.decide(name=line["name"], rate=given, preferential=line.get("preferential", ""))
        line.update({"tax_code_confidence": decision.confidence, "tax_code_match": decision.match_source,
                     "tax_code_suggestions": decision.suggestions})
        if decision.code and invoice is not None:
            chosen.append((line["line_no"], decision.code, decision.rate))
        else:
            line["tax_code_status"] = NEEDS_REVIEW
            line["tax_code_note"] = waiting_message(line_no=line["line_no"], name=line["name"], note=decision.note)
    order.save(update_fields=["lines"])
    for line_no, code, rate in chosen:
        invoice_line_code_choose(invoice=invoice, line_no=line_no, tax_code=code, rate=rate, actor=actor, by_job=True)
    order.refresh_from_db()
    waiting = sum(1 for line in order.lines if line.get("tax_code_status") in (NEEDS_REVIEW, DEFERRED))
    submitted = False
    if invoice is not None and not waiting and rollout_selects(order_no=order.order_no,
                                                               percent=order.store.rollout_percent):
        invoice_submit(invoice=invoice, actor=actor, remember=False)
        order.status = Order.Status.INVOICING
        order.save(update_fields=["status"])
        submitted = True
    logger.info("order %s: %s deferred lines coded, %s wait for a person", order.pk, len(chosen), waiting)
    return {"coded": len(chosen), "waiting": waiting, "submitted": submitted}
