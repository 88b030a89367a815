"""Receiving paid orders: store them, and create their invoice (``invoice_create_many``) in the same transaction."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import Actor, AuditEntry, audit_record_many
from invoicing.dashboard.stats import StatsDelta
from invoicing.enqueue import enqueue
from invoicing.issuing.actions import NewInvoice, buyer_snapshot, invoice_create_many
from invoicing.issuing.drafts import draft_from_order_lines
from invoicing.models import Invoice, Order

logger = logging.getLogger(__name__)

CREATED, EXISTING, CONFLICT = "created", "existing", "conflict"


@dataclass
class OrderOutcome:
    status: str  # created | existing | conflict
    order: Order | None = None
    order_no: str = ""


def rollout_selects(*, order_no: str, percent: int) -> bool:
    """Deterministic per order number: the same order is always in or out at a given percentage."""
    return int(hashlib.sha256(order_no.encode()).hexdigest(), 16) % 100 < percent


def _json_line(line: dict) -> dict:
    """An order line as stored in ``Order.lines``: Decimals as strings, the rest as parsed."""
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in line.items()}


def order_receive_many(*, store, parsed_orders: list, actor: Actor, api_key=None,
                       source: str = Order.Source.API) -> list[OrderOutcome]:
    """Store each new order with its invoice; the same order again answers its existing row.

    All new orders of the call are written in one transaction. A concurrent request inserting
    the same order number makes the unique constraint fire: the whole call is then replayed once,
    and finds that order as existing.
    """
    for attempt in range(3):
        try:
            return _receive(store=store, parsed_orders=parsed_orders, actor=actor, api_key=api_key, source=source)
        except IntegrityError:
            if attempt == 2:
                raise
            logger.info("order intake raced on an order number for store %s; replaying", store.pk)
    raise AssertionError("unreachable")


@transaction.atomic
def _receive(*, store, parsed_orders, actor, api_key, source) -> list[OrderOutcome]:
    company = store.company
    now = timezone.now()
    numbers = [p.order_no for p in parsed_orders]
    existing = {o.order_no: o for o in Order.objects.filter(company=company, order_no__in=numbers)}
    outcomes: list[OrderOutcome] = []
    new_orders: list[tuple[object, Order]] = []
    seen: dict[str, object] = {}
    for parsed in parsed_orders:
        found = existing.get(parsed.order_no)
        if found is not None:
            same = parsed.same_content(found.payload_hash) and found.store_id == store.pk
            outcomes.append(OrderOutcome(EXISTING if same else CONFLICT, found if same else None, parsed.order_no))
            continue
        if parsed.order_no in seen:
            same = seen[parsed.order_no].payload_hash == parsed.payload_hash
            outcomes.append(OrderOutcome(EXISTING if same else CONFLICT, None, parsed.order_no))
            continue
        seen[parsed.order_no] = parsed
        buyer = parsed.buyer
        order = Order(
            company=company, store=store, order_no=parsed.order_no, payload_hash=parsed.payload_hash, source=source,
            invoice_type=parsed.invoice_type, buyer_name=buyer["name"], buyer_tax_id=buyer["tax_id"],
            buyer_is_person=buyer["is_person"], buyer_address=buyer.get("address", ""),
            buyer_phone=buyer.get("phone", ""), buyer_bank_name=buyer.get("bank_name", ""),
            buyer_bank_account=buyer.get("bank_account", ""), buyer_email=buyer.get("email", ""),
            buyer_mobile=buyer.get("mobile", ""), remark=parsed.remark,
            lines=[_json_line(line) for line in parsed.lines],
            total_amount=parsed.total_amount, total_tax=parsed.total_tax, total_with_tax=parsed.total_with_tax,
            paid_at=parsed.paid_at, api_key=api_key,
        )
        # A line waiting for its tax code holds the whole invoice for a person, whatever the rollout.
        automatic = not parsed.coding_notes and rollout_selects(order_no=parsed.order_no,
                                                                 percent=store.rollout_percent)
        order.status = Order.Status.INVOICING if automatic else Order.Status.AWAITING_REVIEW
        new_orders.append((parsed, order))
        outcomes.append(OrderOutcome(CREATED, order, parsed.order_no))
    # Same order number twice in one batch: the later item answers the row of the first.
    created_by_no = {order.order_no: order for _, order in new_orders}
    for outcome in outcomes:
        if outcome.status == EXISTING and outcome.order is None:
            outcome.order = created_by_no.get(outcome.order_no)
    if not new_orders:
        return outcomes

    Order.objects.bulk_create([order for _, order in new_orders])
    new = []
    stats = StatsDelta()
    entries = []
    for parsed, order in new_orders:
        entries.append(AuditEntry(actor=actor, action="order.receive", obj=order, company=company, store=store,
                                  after={"order_no": order.order_no, "total_with_tax": order.total_with_tax,
                                         "status": order.status, "source": order.source}))
        pending = order.status == Order.Status.INVOICING
        coding = [line["line_no"] for line in parsed.lines if line.get("tax_code_status")]
        facts = {"order": order.order_no}
        if coding:
            facts["auto_coded_lines"] = [n for n in coding if parsed.lines[n - 1]["tax_code_status"] == "auto"]
            facts["lines_awaiting_code"] = [n for n in coding if parsed.lines[n - 1]["tax_code_status"] != "auto"]
        if pending:
            message = "按自动开票比例自动开具"
        elif parsed.coding_notes:
            message = "；".join(parsed.coding_notes)
        else:
            message = "等待门店人工确认开具"
        new.append(NewInvoice(
            store=store, order=order, status=Invoice.Status.PENDING if pending else Invoice.Status.DRAFT,
            draft=draft_from_order_lines(invoice_type=order.invoice_type, buyer=parsed.buyer, remark=order.remark,
                                         lines=order.lines,
                                         totals=(order.total_amount, order.total_tax, order.total_with_tax)),
            buyer=buyer_snapshot(parsed.buyer), received_at=order.received_at or now, message=message, audit=facts,
        ))
        stats.order_received(order)
    audit_record_many(entries)
    invoice_create_many(new=new, actor=actor, source=source)
    stats.write()
    for parsed, order in new_orders:
        if any(line.get("tax_code_status") == "deferred" for line in parsed.lines):
            # Lines past the request's coding budget: the job codes them (a lost job leaves a
            # draft a person can still code; nothing is lost).
            transaction.on_commit(lambda pk=order.pk: enqueue(
                "default", "invoicing.orders.jobs.order_lines_code", pk, description=f"order_lines_code({pk})"))
    return outcomes


