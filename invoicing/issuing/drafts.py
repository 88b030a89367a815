"""Writes behind the store screens that the pipeline's services do not cover (yet).

- building an invoice draft from what a clerk typed (pure: amounts via invoicing.rules.amounts,
  checks via invoicing.rules.invoice), shared by the form, its JSON validate endpoint and the
  create/correct services below;
- ``invoice_create_manual``: a hand-made invoice, queued for the pipeline;
- ``invoice_correct_and_resubmit``: new buyer/lines for a failed invoice, then the pipeline's
  ``invoice_resubmit``.

The catalogue's writes are in ``invoicing.catalogue.services``, the category aggregate in
``invoicing.dashboard.stats`` and the alert mail job in ``invoicing.dashboard.selectors``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.errors import ServiceError
from invoicing.models import Invoice, InvoiceEvent, InvoiceLine
from invoicing.rules.amounts import compute_line, compute_totals, money, split_with_tax, tax_for
from invoicing.rules.invoice import (
    DISCOUNT_LINE,
    DISCOUNTED_LINE,
    NORMAL_LINE,
    InvoiceDraft,
    LineDraft,
    validate_invoice,
)
from invoicing.taxcodes.selectors import tax_code_lookup_for

logger = logging.getLogger(__name__)

# --- drafts from the store form --------------------------------------------------------------


@dataclass
class EnteredLine:
    """One row of the form as typed (Decimals parsed, nothing computed yet)."""

    row: int  # position in the form (0-based), to put errors next to the right inputs
    name: str
    tax_code: str
    rate: Decimal
    preferential: str = ""
    spec: str = ""
    unit: str = ""
    quantity: Decimal | None = None
    price: Decimal | None = None
    amount: Decimal | None = None  # the line total when no quantity/price is given
    discount: Decimal | None = None  # positive, in the same tax mode as the price
    product_id: int | None = None


@dataclass
class ManualDraft:
    """The draft the rules check, plus where each draft line came from in the form."""

    draft: InvoiceDraft
    sources: list[tuple[int, bool]]  # per draft line: (form row, is the discount line)
    buyer: dict
    errors: dict[str, list[str]] = field(default_factory=dict)  # form field name → messages
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


_BUYER_FIELD = {"buyer_name": "buyer_name", "buyer_tax_id": "buyer_tax_id", "buyer_is_person": "buyer_kind",
                "kind": "invoice_type", "remark": "remark"}


def _line_field(name: str, entered: EnteredLine, is_discount: bool) -> str:
    """Which input of the row a rule about draft field ``name`` belongs next to."""
    if is_discount:
        return name if name in ("name", "tax_code", "rate") else "discount"
    if name in ("name", "tax_code", "rate", "preferential", "spec", "unit", "quantity"):
        return name
    if name == "unit_price":
        return "price"
    if name == "kind":
        return "discount"
    if name == "tax":
        return "rate"
    # amount: next to what the clerk typed it from
    return "price" if entered.quantity is not None else "amount"


def manual_draft_build(*, invoice_type: str, buyer: dict, remark: str, price_includes_tax: bool,
                       lines: list[EnteredLine], line_prefix: str = "lines") -> ManualDraft:
    """Compute every line (with its discount line) and the totals, then run all RULES.md checks.

    ``errors`` is keyed by the form's input names (``buyer_tax_id``, ``lines-2-price``), so the
    page and the JSON endpoint can show each message next to its field.
    """
    errors: dict[str, list[str]] = defaultdict(list)
    drafts: list[LineDraft] = []
    sources: list[tuple[int, bool]] = []
    for entered in lines:
        key = f"{line_prefix}-{entered.row}-"
        has_pair = entered.quantity is not None or entered.price is not None
        try:
            figures = compute_line(
                rate=entered.rate, quantity=entered.quantity if has_pair else None,
                price=entered.price if has_pair else None, amount=None if has_pair else entered.amount,
                price_includes_tax=price_includes_tax,
            )
        except ValueError:
            if entered.quantity is None and entered.price is not None:
                errors[key + "quantity"].append(f"第{entered.row + 1}行：填写了单价，请同时填写数量")
            elif entered.price is None and entered.quantity is not None:
                errors[key + "price"].append(f"第{entered.row + 1}行：填写了数量，请同时填写单价")
            else:
                errors[key + "amount"].append(f"第{entered.row + 1}行：请填写金额，或同时填写数量和单价")
            continue
        discount = entered.discount or Decimal(0)
        kind = DISCOUNTED_LINE if discount else NORMAL_LINE
        drafts.append(LineDraft(
            name=entered.name, tax_code=entered.tax_code, rate=entered.rate, amount=figures.amount, tax=figures.tax,
            quantity=figures.quantity, unit_price=figures.unit_price, spec=entered.spec, unit=entered.unit,
            kind=kind, preferential=entered.preferential,
        ))
        sources.append((entered.row, False))
        if discount:
            if discount < 0:
                errors[key + "discount"].append(f"第{entered.row + 1}行：折扣金额请填写正数（系统自动生成负数折扣行）")
                continue
            if price_includes_tax:
                amount, tax = split_with_tax(-discount, entered.rate)
            else:
                amount = -money(discount)
                tax = -tax_for(discount, entered.rate)
            drafts.append(LineDraft(
                name=entered.name, tax_code=entered.tax_code, rate=entered.rate, amount=amount, tax=tax,
                kind=DISCOUNT_LINE, preferential=entered.preferential,
            ))
            sources.append((entered.row, True))
    totals = compute_totals((line.amount, line.tax) for line in drafts)
    draft = InvoiceDraft(
        kind=invoice_type, lines=drafts, total_amount=totals.amount, total_tax=totals.tax,
        total_with_tax=totals.with_tax, buyer_name=buyer.get("name", ""), buyer_tax_id=buyer.get("tax_id", ""),
        buyer_is_person=bool(buyer.get("is_person")), remark=remark,
    )
    by_row = {entered.row: entered for entered in lines}
    result = validate_invoice(draft, lookup=tax_code_lookup_for(codes={line.tax_code for line in draft.lines}))
    warnings: dict[str, list[str]] = defaultdict(list)
    for bucket, items in ((errors, result.errors), (warnings, result.warnings)):
        for error in items:
            target = _rule_target(error.field, sources, by_row, line_prefix)
            if error.message not in bucket[target]:
                bucket[target].append(error.message)
    return ManualDraft(draft=draft, sources=sources, buyer=buyer, errors=dict(errors), warnings=dict(warnings))


def _rule_target(rule_field: str, sources, by_row, prefix: str) -> str:
    if rule_field.startswith("lines["):
        index = int(rule_field[6:rule_field.index("]")])
        name = rule_field.split(".", 1)[1] if "." in rule_field else "name"
        row, is_discount = sources[index]
        return f"{prefix}-{row}-{_line_field(name, by_row[row], is_discount)}"
    if rule_field == "lines":
        return "__all__"
    return _BUYER_FIELD.get(rule_field, "__all__")


def _buyer_fields(buyer: dict) -> dict:
    return {
        "buyer_name": buyer.get("name", ""), "buyer_tax_id": buyer.get("tax_id", ""),
        "buyer_is_person": bool(buyer.get("is_person")), "buyer_address": buyer.get("address", ""),
        "buyer_phone": buyer.get("phone", ""), "buyer_bank_name": buyer.get("bank_name", ""),
        "buyer_bank_account": buyer.get("bank_account", ""), "buyer_email": buyer.get("email", ""),
        "buyer_mobile": buyer.get("mobile", ""),
    }


def _line_rows(invoice: Invoice, draft: InvoiceDraft) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            invoice=invoice, line_no=position, name=line.name, tax_code=line.tax_code, spec=line.spec,
            unit=line.unit, quantity=line.quantity, unit_price=line.unit_price, amount=line.amount, rate=line.rate,
            tax=line.tax, line_kind=line.kind, preferential=line.preferential,
        )
        for position, line in enumerate(draft.lines, start=1)
    ]


@transaction.atomic
def invoice_create_manual(*, store, actor: Actor, manual: ManualDraft) -> Invoice:
    """A clerk's invoice: stored pending with its lines, audit row and timeline step, then queued."""
    from invoicing.issuing.pipeline import schedule_company_batch
    from invoicing.orders.services import seller_snapshot

    if not manual.ok:
        raise ServiceError("invoice_invalid", "发票内容未通过校验，请按提示修改")
    draft = manual.draft
    company = store.company
    now = timezone.now()
    invoice = Invoice.objects.create(
        company=company, store=store, kind=Invoice.Kind.BLUE, type=draft.kind, status=Invoice.Status.PENDING,
        seller=seller_snapshot(company), total_amount=draft.total_amount, total_tax=draft.total_tax,
        total_with_tax=draft.total_with_tax, remark=draft.remark, drawer=company.drawer_name,
        order_received_at=now, **_buyer_fields(manual.buyer),
    )
    InvoiceLine.objects.bulk_create(_line_rows(invoice, draft))
    audit_record(actor=actor, action="invoice.create", obj=invoice, company=company, store=store,
                 after={"status": invoice.status, "source": "manual", "total_with_tax": invoice.total_with_tax,
                        "buyer_name": invoice.buyer_name, "lines": len(draft.lines)})
    InvoiceEvent.objects.create(invoice=invoice, created_at=now, status_from="", status_to=invoice.status,
                                message="门店手工开票，已提交开具", actor_label=actor.label[:150])
    transaction.on_commit(lambda: schedule_company_batch(company.pk))
    return invoice


@transaction.atomic
def invoice_correct_and_resubmit(*, invoice: Invoice, actor: Actor, manual: ManualDraft) -> Invoice:
    """Replace a failed (or draft) invoice's buyer and lines with corrected ones, then resubmit it."""
    from invoicing.issuing.transitions import invoice_resubmit, invoice_submit

    invoice = Invoice.objects.select_for_update().select_related("company", "store").get(pk=invoice.pk)
    if invoice.status not in (Invoice.Status.FAILED, Invoice.Status.DRAFT):
        raise ServiceError("invoice_not_editable", "只有开具失败或待人工开具的发票可以修改后提交")
    if not manual.ok:
        raise ServiceError("invoice_invalid", "发票内容未通过校验，请按提示修改")
    draft = manual.draft
    before = {"total_with_tax": invoice.total_with_tax, "buyer_name": invoice.buyer_name,
              "buyer_tax_id": invoice.buyer_tax_id, "type": invoice.type, "lines": invoice.lines.count()}
    for name, value in _buyer_fields(manual.buyer).items():
        setattr(invoice, name, value)
    invoice.type = draft.kind
    invoice.remark = draft.remark
    invoice.total_amount, invoice.total_tax, invoice.total_with_tax = (
        draft.total_amount, draft.total_tax, draft.total_with_tax)
    invoice.save()
    invoice.lines.all().delete()
    InvoiceLine.objects.bulk_create(_line_rows(invoice, draft))
    audit_record(actor=actor, action="invoice.correct", obj=invoice, company=invoice.company, store=invoice.store,
                 before=before, after={"total_with_tax": invoice.total_with_tax, "buyer_name": invoice.buyer_name,
                                       "buyer_tax_id": invoice.buyer_tax_id, "type": invoice.type,
                                       "lines": len(draft.lines)})
    if invoice.status == Invoice.Status.DRAFT:
        return invoice_submit(invoice=invoice, actor=actor)
    return invoice_resubmit(invoice=invoice, actor=actor)
