"""Invoice drafts: built from a clerk's form, an API order, a red-letter form or a stored invoice,
and checked in one place (``draft_validate``, over ``invoicing.rules``).

Pure apart from the tax-code lookup: nothing here writes. ``invoicing.issuing.actions`` turns a
checked draft into an invoice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from invoicing.rules.amounts import compute_line, compute_totals, money, split_with_tax, stored_decimal, tax_for
from invoicing.rules.errors import RuleResult
from invoicing.rules.invoice import (
    DISCOUNT_LINE,
    DISCOUNTED_LINE,
    NORMAL_LINE,
    InvoiceDraft,
    LineDraft,
    validate_invoice,
)
from invoicing.taxcodes.selectors import tax_code_lookup_for

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
    result = draft_validate(draft)
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


def draft_validate(draft: InvoiceDraft, *, lookup=None) -> RuleResult:
    """Every RULES.md check on a draft, against the tax codes as the database has them.

    ``lookup``: one made for many drafts at once (``tax_code_lookup_for``), as the batch does.
    """
    lookup = lookup or tax_code_lookup_for(codes={line.tax_code for line in draft.lines})
    return validate_invoice(draft, lookup=lookup)


def draft_from_invoice(invoice, lines) -> InvoiceDraft:
    """A stored invoice (and its lines, in order) as the draft the rules check before upload."""
    return InvoiceDraft(
        kind=invoice.type,
        lines=[
            LineDraft(
                name=line.name, tax_code=line.tax_code, rate=line.rate, amount=line.amount, tax=line.tax,
                quantity=line.quantity.normalize() if line.quantity is not None else None,
                unit_price=line.unit_price.normalize() if line.unit_price is not None else None,
                spec=line.spec, unit=line.unit, kind=line.line_kind, preferential=line.preferential,
            )
            for line in lines
        ],
        total_amount=invoice.total_amount, total_tax=invoice.total_tax, total_with_tax=invoice.total_with_tax,
        is_red=invoice.kind == "red", buyer_name=invoice.buyer_name, buyer_tax_id=invoice.buyer_tax_id,
        buyer_is_person=invoice.buyer_is_person, remark=invoice.remark, number=invoice.number or "",
        issue_year=timezone.localtime(invoice.issued_at).year if invoice.issued_at else None,
    )


def draft_from_order_lines(*, invoice_type: str, buyer: dict, remark: str, lines: list[dict], totals) -> InvoiceDraft:
    """An order's stored lines (``Order.lines``: figures as strings; rate and tax empty while a line
    waits for its tax code) as a draft. ``totals``: (amount, tax, with tax) as received."""
    return InvoiceDraft(
        kind=invoice_type,
        lines=[
            LineDraft(
                name=line["name"], tax_code=line["tax_code"], rate=stored_decimal(line["rate"]),
                amount=stored_decimal(line["amount"]), tax=stored_decimal(line.get("tax")),
                quantity=stored_decimal(line.get("quantity")), unit_price=stored_decimal(line.get("unit_price")),
                spec=line.get("spec", ""), unit=line.get("unit", ""), kind=NORMAL_LINE,
                preferential=line.get("preferential", ""),
            )
            for line in lines
        ],
        total_amount=totals[0], total_tax=totals[1], total_with_tax=totals[2],
        buyer_name=buyer.get("name", ""), buyer_tax_id=buyer.get("tax_id", ""),
        buyer_is_person=bool(buyer.get("is_person")), remark=remark,
    )


def draft_from_red_form(form, *, remark: str) -> InvoiceDraft:
    """The red invoice of a confirmed red-letter form: its lines as on the form, the blue line's
    name, code, rate and flags."""
    lines = list(form.lines.select_related("blue_line").order_by("position"))
    return InvoiceDraft(
        kind=form.blue_invoice.type,
        lines=[
            LineDraft(
                name=line.blue_line.name, tax_code=line.blue_line.tax_code, rate=line.blue_line.rate,
                amount=line.amount, tax=line.tax, quantity=line.quantity, unit_price=line.unit_price,
                spec=line.blue_line.spec, unit=line.blue_line.unit, kind=NORMAL_LINE,
                preferential=line.blue_line.preferential,
            )
            for line in lines
        ],
        total_amount=form.amount, total_tax=form.tax, total_with_tax=form.amount + form.tax, is_red=True,
        remark=remark,
    )
