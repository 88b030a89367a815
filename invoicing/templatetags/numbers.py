"""Quantities and unit prices as people write them: stored with 13 decimals, shown without the
trailing zeros ("2", "56.5"), and never in exponent form (Decimal.normalize gives "1E+2")."""

from decimal import Decimal

from django import template

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
