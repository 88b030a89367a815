"""Reads for red-letter reversal: what is left on a blue invoice, the forms a user may see, their time left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from invoicing.models import BatchReversal, Invoice, InvoiceLine, RedLetterForm, RedLetterFormLine, UploadBatch
from invoicing.models.invoices import REVERSAL_LABELS, reversal_state_for
from invoicing.redletter.rules import BlueLine

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LineRemaining:
    line_no: int
    name: str
    tax_code: str
    rate: Decimal
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    tax: Decimal
    reversed_amount: Decimal  # by issued red invoices
    reserved_amount: Decimal  # by forms not void whose red invoice is not issued yet
    remaining_amount: Decimal
    remaining_tax: Decimal
    remaining_quantity: Decimal | None


@dataclass(frozen=True)
class InvoiceRemaining:
    invoice: Invoice
    lines: list[LineRemaining]
    status: str  # not_reversed | partly_reversed | reversed
    status_label: str
    reversed_amount: Decimal
    reversed_with_tax: Decimal
    remaining_amount: Decimal
    remaining_with_tax: Decimal

    def as_rule_lines(self) -> list[BlueLine]:
        return [BlueLine(line_no=x.line_no, name=x.name, tax_code=x.tax_code, rate=x.rate, quantity=x.quantity,
                         unit_price=x.unit_price, amount=x.amount, tax=x.tax, remaining_amount=x.remaining_amount,
                         remaining_tax=x.remaining_tax, remaining_quantity=x.remaining_quantity)
                for x in self.lines]


STATUS_LABELS = {"not_reversed": "未红冲", **{key: str(label) for key, label in REVERSAL_LABELS.items()}}


def _reversible_lines(invoice: Invoice) -> list[InvoiceLine]:
    """The blue lines a form may name: a discount line (折扣行) is folded into the line it discounts.

    Red invoices carry no discount lines, so the discounted line is reversed at its net amount,
    by amount only (its quantity × unit price no longer equals the net).
    """
    folded: list[InvoiceLine] = []
    for line in invoice.lines.order_by("line_no"):
        if line.line_kind == InvoiceLine.LineKind.DISCOUNT and folded:
            target = folded[-1]
            target.amount += line.amount
            target.tax += line.tax
            target.quantity = target.unit_price = None
            continue
        folded.append(line)
    return folded


def blue_invoice_remaining(invoice: Invoice) -> InvoiceRemaining:
    """Per blue line: reversed by issued red invoices, reserved by open forms, and what is left.

    Call it after locking the blue invoice row when the answer decides a new form.
    """
    taken: dict[int, list] = {}
    rows = (RedLetterFormLine.objects.filter(form__in=RedLetterForm.objects.filter(blue_invoice=invoice).not_void())
            .select_related("form__red_invoice"))
    for row in rows:
        entry = taken.setdefault(row.blue_line_id, [ZERO, ZERO, Decimal(0), ZERO])
        entry[0] += -row.amount
        entry[1] += -row.tax
        entry[2] += -(row.quantity or 0)
        red = row.form.red_invoice
        if red is not None and red.status == Invoice.Status.ISSUED:
            entry[3] += -row.amount
    lines = []
    for line in _reversible_lines(invoice):
        amount_taken, tax_taken, quantity_taken, issued = taken.get(line.pk, [ZERO, ZERO, Decimal(0), ZERO])
        lines.append(LineRemaining(
            line_no=line.line_no, name=line.name, tax_code=line.tax_code, rate=line.rate, quantity=line.quantity,
            unit_price=line.unit_price, amount=line.amount, tax=line.tax, reversed_amount=issued,
            reserved_amount=amount_taken - issued, remaining_amount=line.amount - amount_taken,
            remaining_tax=line.tax - tax_taken,
            remaining_quantity=None if line.quantity is None else line.quantity - quantity_taken,
        ))
    reversed_amount = sum((x.reversed_amount for x in lines), ZERO)
    issued_reds = invoice.red_invoices.filter(status=Invoice.Status.ISSUED)
    reversed_with_tax = -sum((red.total_with_tax for red in issued_reds), ZERO)
    remaining_amount = sum((x.remaining_amount for x in lines), ZERO)
    remaining_with_tax = remaining_amount + sum((x.remaining_tax for x in lines), ZERO)
    status = reversal_state_for(total_with_tax=invoice.total_with_tax, reversed_with_tax=reversed_with_tax) or "not_reversed"
    return InvoiceRemaining(invoice=invoice, lines=lines, status=status, status_label=STATUS_LABELS[status],
                            reversed_amount=reversed_amount, reversed_with_tax=reversed_with_tax,
                            remaining_amount=remaining_amount, remaining_with_tax=remaining_with_tax)


def blue_is_margin_taxed(invoice: Invoice) -> bool:
    """Whether the blue invoice went to the platform as 差额征税 (``cezslxDm`` 01/02 in what was
    uploaded; rows uploaded before the real wire format carry ``cezsbz`` Y)."""
    flag = getattr(invoice, "margin_taxed", None)
    if flag is not None:
        return bool(flag)
    if invoice.upload_batch_id is None:
        return False
    request = UploadBatch.objects.filter(pk=invoice.upload_batch_id).values_list("request", flat=True).first() or {}
    for item in request.get("fplist") or ():
        if item.get("fphm") == invoice.number:
            return str(item.get("cezslxDm") or "") in ("01", "02") or str(item.get("cezsbz") or "") == "Y"
    return False


def red_form_list(*, user, filters: dict | None = None) -> QuerySet[RedLetterForm]:
    filters = filters or {}
    forms = (RedLetterForm.objects.for_user(user).select_related("store", "blue_invoice", "red_invoice")
             .order_by("expires_at", "-created_at") if filters.get("pending") else
             RedLetterForm.objects.for_user(user).select_related("store", "blue_invoice", "red_invoice"))
    if filters.get("pending"):
        forms = forms.filter(Q(state__in=RedLetterForm.AWAITING_STATES) | Q(approval=RedLetterForm.Approval.PENDING))
    if filters.get("state"):
        forms = forms.filter(state=filters["state"])
    if filters.get("approval"):
        forms = forms.filter(approval=filters["approval"])
    if filters.get("store"):
        forms = forms.filter(store=filters["store"])
    if filters.get("q"):
        q = filters["q"].strip()
        forms = forms.filter(Q(number__icontains=q) | Q(blue_invoice__number__icontains=q))
    return forms


def red_forms_awaiting(*, user) -> QuerySet[RedLetterForm]:
    """Forms waiting for the other side (02/03) or for a manager's approval, soonest deadline first."""
    return red_form_list(user=user, filters={"pending": True})


def time_left(form: RedLetterForm, *, now: datetime | None = None) -> timedelta | None:
    if not form.is_awaiting_other_side or form.expires_at is None:
        return None
    return max(form.expires_at - (now or timezone.now()), timedelta(0))


def time_left_label(form: RedLetterForm, *, now: datetime | None = None) -> str:
    left = time_left(form, now=now)
    if left is None:
        return ""
    hours, rest = divmod(int(left.total_seconds()), 3600)
    if hours == 0 and rest == 0:
        return "已到期，等待平台作废"
    return f"剩余 {hours} 小时 {rest // 60} 分钟"


def batch_reversal_list(*, user) -> QuerySet[BatchReversal]:
    return BatchReversal.objects.for_user(user).select_related("created_by")


def reversible_invoices(*, company, store=None, date_from=None, date_to=None, numbers=None) -> QuerySet[Invoice]:
    """Issued blue invoices of a company matching a batch selection."""
    invoices = Invoice.objects.filter(company=company, kind=Invoice.Kind.BLUE, status=Invoice.Status.ISSUED)
    if store is not None:
        invoices = invoices.filter(store=store)
    if date_from:
        invoices = invoices.filter(issued_at__date__gte=date_from)
    if date_to:
        invoices = invoices.filter(issued_at__date__lte=date_to)
    if numbers:
        invoices = invoices.filter(number__in=numbers)
    return invoices.order_by("id")


def batch_reversal_preview(invoices: QuerySet[Invoice], *, rows: int) -> dict:
    """What a batch would reverse: count and totals of all ``invoices``, and the first ``rows`` of them."""
    totals = invoices.aggregate(count=Count("id"), amount=Sum("total_amount"), tax=Sum("total_tax"),
                                total=Sum("total_with_tax"))
    return {**totals, "invoices": list(invoices.select_related("store")[:rows])}


def batch_reversal_for_key(*, company, confirm_key: str) -> BatchReversal | None:
    """The batch a confirmed preview already made, if any (a double-click confirms twice)."""
    return BatchReversal.objects.filter(company=company, submission_key=confirm_key).first()
