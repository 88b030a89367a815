"""Our invoices in the tax platform's words: the one place outside taxapi where pinyin names live.

``invoice_payload`` builds one QDFPSC ``fplist`` item (docs/tax-platform.md §3) from an Invoice
and its lines (the draft checked before it is ``invoicing.issuing.drafts.draft_from_invoice``).
"""

from __future__ import annotations

from datetime import datetime

from invoicing.rules.amounts import fmt_money, fmt_number
from invoicing.rules.clock import SHANGHAI
from invoicing.taxcodes.table import display_name


def format_issue_time(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _rate(value) -> str:
    # The platform writes rates as 0.13, 0.015, 0 — no trailing zeros beyond what is needed.
    text = format(value.normalize(), "f")
    return text if text != "0" else "0"


def line_payload(line) -> dict:
    has_quantity = line.quantity is not None and line.unit_price is not None
    return {
        "mxxh": line.line_no,
        "xmmc": line.name,
        "hwhyslwfwmc": display_name(line.tax_code, line.name),
        "ggxh": line.spec or "",
        "dw": line.unit or "",
        "sl": fmt_number(line.quantity) if has_quantity else "",
        "dj": fmt_number(line.unit_price) if has_quantity else "",
        "je": fmt_money(line.amount),
        "slv": _rate(line.rate),
        "se": fmt_money(line.tax),
        "sphfwssflhbbm": line.tax_code,
        "fphxz": line.line_kind,
        "yhzcbs": line.preferential or "",
    }


def invoice_payload(invoice, lines) -> dict:
    """One ``fplist`` item; ``invoice.number`` and ``invoice.issued_at`` must be set."""
    seller = invoice.seller or {}
    payload = {
        "fphm": invoice.number,
        "lzfpbz": "1" if invoice.kind == "red" else "0",
        "fppz": invoice.type,
        "kprq": format_issue_time(invoice.issued_at),
        "xsfnsrsbh": seller.get("tax_id", ""),
        "xsfmc": seller.get("name", ""),
        "xsfdz": seller.get("address", ""),
        "xsfdh": seller.get("phone", ""),
        "xsfkhh": seller.get("bank_name", ""),
        "xsfzh": seller.get("bank_account", ""),
        "gmfnsrsbh": invoice.buyer_tax_id or "",
        "gmfmc": invoice.buyer_name or "",
        "gmfdz": invoice.buyer_address or "",
        "gmfdh": invoice.buyer_phone or "",
        "gmfkhh": invoice.buyer_bank_name or "",
        "gmfzh": invoice.buyer_bank_account or "",
        "gmfzrrbz": "Y" if invoice.buyer_is_person else "N",
        "hjje": fmt_money(invoice.total_amount),
        "hjse": fmt_money(invoice.total_tax),
        "jshj": fmt_money(invoice.total_with_tax),
        "kpr": invoice.drawer or "",
        "bz": invoice.remark or "",
        "cezsbz": "N",
        "fpmxList": [line_payload(line) for line in lines],
    }
    if invoice.kind == "red":
        blue = invoice.blue_invoice
        payload["dylzfphm"] = blue.number if blue is not None else ""
        payload["hzqrxxdbh"] = invoice.red_form_number or ""
    return payload
