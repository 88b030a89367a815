"""Quantities and unit prices as people write them: stored with 13 decimals, shown without the
trailing zeros ("2", "56.5"), and never in exponent form (Decimal.normalize gives "1E+2");
amounts with two places. A value that is no number (a NaN written past the application) shows
as "—" instead of taking the whole page down (Django's number formatting raises on it)."""

from decimal import Decimal

from django import template

from invoicing.rules.amounts import fmt_money

register = template.Library()


@register.filter
def plain_number(value):
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return value
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def money(value):
    """An amount with two places ("113.00"); "—" for a value that is not a finite number."""
    if value is None or value == "":
        return ""
    try:
        value = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        return "—"
    if not value.is_finite():
        return "—"
    return fmt_money(value)
