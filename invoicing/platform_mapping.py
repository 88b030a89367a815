"""Our invoices in the tax platform's words: the one place outside taxapi where pinyin names live.

``invoice_payload`` builds one QDFPSC ``fplist`` item (docs/tax-platform.md §3) from an Invoice
and its lines; ``invoice_draft`` builds the ``invoicing.rules`` draft that is checked before it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from invoicing.rules.amounts import fmt_money, fmt_number
from invoicing.rules.invoice import InvoiceDraft, LineDraft
from invoicing.taxcodes.table import display_name

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


def invoice_draft(invoice, lines) -> InvoiceDraft:
    return InvoiceDraft(
        kind=invoice.type,
        lines=[
            LineDraft(
                name=line.name,
                tax_code=line.tax_code,
                rate=line.rate,
                amount=line.amount,
                tax=line.tax,
                quantity=line.quantity.normalize() if line.quantity is not None else None,
                unit_price=line.unit_price.normalize() if line.unit_price is not None else None,
                spec=line.spec,
                unit=line.unit,
                kind=line.line_kind,
                preferential=line.preferential,
            )
            for line in lines
        ],
        total_amount=invoice.total_amount,
        total_tax=invoice.total_tax,
        total_with_tax=invoice.total_with_tax,
        is_red=invoice.kind == "red",
        buyer_name=invoice.buyer_name,
        buyer_tax_id=invoice.buyer_tax_id,
        buyer_is_person=invoice.buyer_is_person,
        remark=invoice.remark,
        number=invoice.number or "",
        issue_year=invoice.issued_at.astimezone(SHANGHAI).year if invoice.issued_at else None,
    )
