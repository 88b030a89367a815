"""Numbers as people read them, one set of filters for every screen (never for CSV/XLSX).

- ``plain_number``: quantities and unit prices, stored with 13 decimals, shown exact but without
  the trailing zeros ("2", "56.5", "5.1333333333333"), never in exponent form ("1E+2").
- ``money``: two decimals with thousands separators ("9,174,311,925.69", "-10.27").
- ``rate``: a tax rate as a percentage ("9%", "13%", "1.5%"); with a line's preferential flag,
  免税 / 不征税 as the invoice prints it.

A value that is no finite number (a NaN written past the application) shows as "—" instead of
taking the whole page down.
"""

from decimal import Decimal

from django import template

from invoicing.rules.amounts import fmt_number, fmt_rate
from invoicing.rules.amounts import money as round_money

register = template.Library()

PREFERENTIAL_LABELS = {"03": "免税", "04": "不征税"}


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


@register.filter
def plain_number(value):
    number = _decimal(value)
    if number is None:
        return "" if value in (None, "") else "—"
    return fmt_number(number)


@register.filter
def money(value):
    number = _decimal(value)
    if number is None:
        return "" if value in (None, "") else "—"
    return f"{round_money(number):,.2f}"


@register.filter
def rate(value, preferential=""):
    if preferential in PREFERENTIAL_LABELS:
        return PREFERENTIAL_LABELS[preferential]
    number = _decimal(value)
    if number is None:
        return "—" if value in (None, "") else value
    return fmt_rate(number)
