"""Our invoices in the tax platform's words: the one place outside taxapi where pinyin names live.

``invoice_payload`` builds one item of QDFPSC's body (docs/tax-platform.md §3) from an Invoice
and its lines (the draft checked before it is ``invoicing.issuing.drafts.draft_from_invoice``).
The connection's facts (``ptbh``, ``qyDm``, ``ip``, ``macdz``) are added by the provider.
"""

from __future__ import annotations

from datetime import datetime

from invoicing.rules.amounts import fmt_money, fmt_number
from invoicing.rules.clock import SHANGHAI
from invoicing.taxcodes.table import display_name, short_name_of

# 居民身份证, the drawer's document when the company has given its number (kprzjlx).
RESIDENT_ID_CARD = "201"
# 发票开具方式代码 5: issued on the taxpayer's own platform (乐企自用).
OWN_PLATFORM = "5"


def format_issue_time(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _rate(value) -> str:
    # The platform writes rates as 0.13, 0.015, 0 — no trailing zeros beyond what is needed.
    text = format(value.normalize(), "f")
    return text if text != "0" else "0"


def line_payload(line, *, blue_line_no: int | None = None) -> dict:
    """One line; ``blue_line_no`` (red lines only) is the blue invoice's line it reverses."""
    has_quantity = line.quantity is not None and line.unit_price is not None
    payload = {
        "mxxh": line.line_no,
        "xmmc": line.name,
        "hwhyslwfwmc": display_name(line.tax_code, line.name),
        "spfwjc": short_name_of(line.tax_code),
        "ggxh": line.spec or "",
        "dw": line.unit or "",
        "sl": fmt_number(line.quantity) if has_quantity else "",
        "dj": fmt_number(line.unit_price) if has_quantity else "",
        "je": fmt_money(line.amount),
        "slv": _rate(line.rate),
        "se": fmt_money(line.tax),
        "hsje": fmt_money(line.amount + (line.tax or 0)),
        "kce": "",
        "sphfwssflhbbm": line.tax_code,
        "fphxz": line.line_kind,
        "yhzcbs": line.preferential or "",
    }
    if blue_line_no is not None:
        payload["dylzfpmxxh"] = blue_line_no
    return payload


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
        "gmfjbr": "",
        "jbrsfzjhm": "",
        "gmfjbrlxdh": "",
        "hjje": fmt_money(invoice.total_amount),
        "hjse": fmt_money(invoice.total_tax),
        "jshj": fmt_money(invoice.total_with_tax),
        # The seller's bank receives the payment; the invoice shows its account only when asked.
        "skyhmc": seller.get("bank_name", ""),
        "skyhzh": seller.get("bank_account", ""),
        "jsfs": "",
        "ysxwfsd": "",
        "kpr": invoice.drawer or "",
        "kprzjhm": seller.get("drawer_id_number", ""),
        "kprzjlx": RESIDENT_ID_CARD if seller.get("drawer_id_number") else "",
        "bz": invoice.remark or "",
        "tdys": "",
        "cezslxDm": "",
        "sgfplxDm": "",
        "ckywsyzcDm": "",
        "zzsjzjtDm": "",
        "sfzsxsfyhzhbq": "N",
        "sfzsgmfyhzhbq": "N",
        "skrxm": "",
        "fhrxm": "",
        "fpkjfsDm": OWN_PLATFORM,
        "fjysList": [],
        "cekcList": [],
    }
    blue_lines: list[int | None] = [None] * len(lines)
    if invoice.kind == "red":
        blue = invoice.blue_invoice
        form = getattr(invoice, "red_letter_form", None)
        payload["dylzfphm"] = blue.number if blue is not None else ""
        payload["hzqrxxdbh"] = invoice.red_form_number or ""
        payload["hzqrduuid"] = form.uuid if form is not None else ""
        if form is not None:
            # The red invoice's lines are the form's, in the form's order.
            blue_lines = list(form.lines.order_by("position").values_list("blue_line__line_no", flat=True))
            blue_lines += [None] * (len(lines) - len(blue_lines))
    payload["fpmxList"] = [line_payload(line, blue_line_no=no) for line, no in zip(lines, blue_lines, strict=False)]
    return payload
