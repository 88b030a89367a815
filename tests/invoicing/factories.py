"""Plain-data factories for invoice drafts (no database)."""

from decimal import Decimal

from invoicing.rules.invoice import InvoiceDraft, LineDraft
from invoicing.rules.taxid import make_uscc

CHEESE = "1030204020000000000"  # 固体及半固体乳制品: 13 %
VEGETABLE = "1010112010000000000"  # 萝卜等根菜类蔬菜: 9 %, 免税 allowed
BUYER_TAX_ID = "91350100M000100Y43"


def D(value) -> Decimal:
    return Decimal(str(value))


def a_line(**overrides) -> LineDraft:
    values = dict(
        name="马苏里拉奶酪",
        tax_code=CHEESE,
        rate=D("0.13"),
        quantity=D(2),
        unit_price=D("50"),
        amount=D("100.00"),
        tax=D("13.00"),
        unit="盒",
    )
    values.update(overrides)
    return LineDraft(**values)


def a_draft(lines=None, **overrides) -> InvoiceDraft:
    lines = lines if lines is not None else [a_line()]
    total_amount = sum((line.amount for line in lines), D("0.00"))
    total_tax = sum((line.tax for line in lines), D("0.00"))
    values = dict(
        kind="02",
        lines=lines,
        total_amount=total_amount,
        total_tax=total_tax,
        total_with_tax=total_amount + total_tax,
        buyer_name="福州示例贸易有限公司",
        buyer_tax_id=BUYER_TAX_ID,
    )
    values.update(overrides)
    return InvoiceDraft(**values)


def a_red_draft(**overrides) -> InvoiceDraft:
    line = a_line(quantity=D(-2), amount=D("-100.00"), tax=D("-13.00"))
    return a_draft([line], is_red=True, **overrides)


__all__ = ["BUYER_TAX_ID", "CHEESE", "VEGETABLE", "D", "a_draft", "a_line", "a_red_draft", "make_uscc"]
