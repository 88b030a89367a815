"""Helpers shared by the invoice's PDF and XML: local times and the display of amounts."""

from __future__ import annotations

from decimal import Decimal

from invoicing.rules.amounts import fmt_money, fmt_number, fmt_rate
from invoicing.rules.clock import SHANGHAI
from invoicing.taxcodes.table import display_name, short_name_of

TYPE_TITLES = {"01": "电子发票（增值税专用发票）", "02": "电子发票（普通发票）"}
# Preferential-policy flags whose rate and tax are printed as words / stars (RULES.md, tax rates).
RATE_WORDS = {"03": "免税", "04": "不征税"}


def local_moment(moment):
    return moment.astimezone(SHANGHAI)


def invoice_title(invoice) -> str:
    return TYPE_TITLES.get(invoice.type, TYPE_TITLES["02"])


def rate_text(line) -> str:
    return RATE_WORDS.get(line.preferential) or fmt_rate(line.rate)


def tax_text(line) -> str:
    return "***" if line.preferential in RATE_WORDS else fmt_money(line.tax)


def printed_name(line) -> str:
    """The name as the platform holds it (hwhyslwfwmc) and the invoice prints it: ``*乳制品*纯牛奶``."""
    # A code outside the reference table has no 简称: print the bare name rather than "**name".
    return display_name(line.tax_code, line.name) if line.tax_code and short_name_of(line.tax_code) else line.name


def number_text(value: Decimal | None) -> str:
    return "" if value is None else fmt_number(value)


def line_rows(invoice) -> list[dict]:
    """The invoice's lines as printed: strings, discount lines without quantity or price."""
    rows = []
    for line in invoice.lines.all().order_by("line_no"):
        rows.append({
            "line": line,
            "name": printed_name(line),
            "spec": line.spec,
            "unit": line.unit,
            "quantity": number_text(line.quantity),
            "unit_price": number_text(line.unit_price),
            "amount": fmt_money(line.amount),
            "rate": rate_text(line),
            "tax": tax_text(line),
        })
    return rows
