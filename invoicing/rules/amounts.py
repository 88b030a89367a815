"""Money arithmetic and the amount checks of RULES.md ("Amounts"), over plain Decimals.

All money is ``Decimal`` with two places, rounded ROUND_HALF_UP; floats are refused so that a
binary fraction never reaches an invoice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# The platform accepts unit prices and quantities with up to 13 decimals.
PRICE_EXPONENT = Decimal("1E-13")

LINE_AMOUNT_TOLERANCE = Decimal("0.01")
TOTAL_AMOUNT_TOLERANCE = Decimal("0.01")
LINE_TAX_TOLERANCE = Decimal("0.06")
TOTAL_TAX_TOLERANCE = Decimal("1.27")


def to_decimal(value) -> Decimal:
    """Decimal from a Decimal, int or string; a float is a programming error here."""
    if isinstance(value, float):
        raise TypeError("金额不得使用浮点数，请传入 Decimal 或字符串")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(value) -> Decimal:
    """Round to two places, half up (0.005 → 0.01, −0.005 → −0.01)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_price(value) -> Decimal:
    """A unit price or quantity at the platform's precision, without trailing zeros."""
    quantized = to_decimal(value).quantize(PRICE_EXPONENT, rounding=ROUND_HALF_UP)
    normalized = quantized.normalize()
    # normalize() turns 100 into 1E+2; keep plain notation for payloads and messages.
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral() else normalized


def fmt_money(value: Decimal) -> str:
    return f"{money(value):.2f}"


def fmt_number(value: Decimal) -> str:
    """A quantity or price as people write it (no exponent, no trailing zeros)."""
    return format(unit_price(value), "f")


def fmt_rate(rate: Decimal) -> str:
    """0.13 → "13%", 0.015 → "1.5%"."""
    percent = (to_decimal(rate) * 100).normalize()
    return f"{format(percent.quantize(Decimal(1)) if percent == percent.to_integral() else percent, 'f')}%"


def split_with_tax(with_tax, rate) -> tuple[Decimal, Decimal]:
    """Split a tax-inclusive amount: amount = round(with_tax / (1 + rate), 2), tax = the rest."""
    with_tax = money(with_tax)
    amount = money(with_tax / (1 + to_decimal(rate)))
    return amount, with_tax - amount


def tax_for(amount, rate) -> Decimal:
    """The tax on an amount: round(amount × rate, 2)."""
    return money(to_decimal(amount) * to_decimal(rate))


@dataclass(frozen=True)
class LineAmounts:
    """A line's figures as they go on the invoice (unit price excluding tax)."""

    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    tax: Decimal

    @property
    def with_tax(self) -> Decimal:
        return self.amount + self.tax


def compute_line(*, rate, quantity=None, price=None, amount=None, price_includes_tax: bool = False) -> LineAmounts:
    """Compute a line from what the clerk or shop entered.

    Either ``quantity`` and ``price`` (the unit price, with or without tax), or ``amount`` alone
    (the line total, with or without tax). With tax included, the line's total with tax is
    fixed first and split (RULES.md), and the unit price shown is the amount over the quantity,
    so that unit price × quantity = amount holds to the cent.
    """
    rate = to_decimal(rate)
    if (quantity is None) != (price is None):
        raise ValueError("数量和单价须同时填写或同时为空")
    if quantity is not None:
        quantity = to_decimal(quantity)
        price = to_decimal(price)
        gross = money(quantity * price)
    else:
        if amount is None:
            raise ValueError("请填写金额，或同时填写数量和单价")
        gross = money(amount)
    if price_includes_tax:
        line_amount, line_tax = split_with_tax(gross, rate)
        price_excl = unit_price(line_amount / quantity) if quantity else None
    else:
        line_amount, line_tax = gross, tax_for(gross, rate)
        price_excl = unit_price(price) if quantity is not None else None
    return LineAmounts(
        quantity=unit_price(quantity) if quantity is not None else None,
        unit_price=price_excl,
        amount=line_amount,
        tax=line_tax,
    )


@dataclass(frozen=True)
class Totals:
    amount: Decimal
    tax: Decimal
    with_tax: Decimal


def compute_totals(lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """合计金额, 合计税额 and 价税合计 from (amount, tax) pairs: the identity holds by construction."""
    total_amount = Decimal("0.00")
    total_tax = Decimal("0.00")
    for amount, tax in lines:
        total_amount += money(amount)
        total_tax += money(tax)
    return Totals(amount=total_amount, tax=total_tax, with_tax=total_amount + total_tax)


def line_amount_ok(*, quantity, price, amount) -> bool:
    return abs(to_decimal(price) * to_decimal(quantity) - to_decimal(amount)) <= LINE_AMOUNT_TOLERANCE


def line_tax_ok(*, amount, rate, tax) -> bool:
    return abs(to_decimal(amount) * to_decimal(rate) - to_decimal(tax)) <= LINE_TAX_TOLERANCE


def total_amount_ok(*, line_amounts: Iterable, total) -> bool:
    return abs(sum((to_decimal(a) for a in line_amounts), Decimal(0)) - to_decimal(total)) <= TOTAL_AMOUNT_TOLERANCE


def total_tax_ok(*, amounts_and_rates: Iterable[tuple], total_tax) -> bool:
    expected = sum((to_decimal(a) * to_decimal(r) for a, r in amounts_and_rates), Decimal(0))
    return abs(expected - to_decimal(total_tax)) <= TOTAL_TAX_TOLERANCE


def identity_ok(*, total_amount, total_tax, total_with_tax) -> bool:
    return to_decimal(total_amount) + to_decimal(total_tax) == to_decimal(total_with_tax)


def stored_decimal(value) -> Decimal | None:
    """A figure of a stored figure (a JSON string, as orders keep their lines) back as a Decimal; None when absent."""
    return None if value in (None, "") else Decimal(str(value))
