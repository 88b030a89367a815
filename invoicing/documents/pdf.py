"""The invoice PDF in the 数电票 layout, rendered by WeasyPrint from a Django template."""

from __future__ import annotations

from django.template.loader import render_to_string

from invoicing.documents.capitals import amount_to_chinese_capitals
from invoicing.documents.common import invoice_title, line_rows, local_moment
from invoicing.documents.fonts import CJK_FONT_STACK, require_cjk_font
from invoicing.documents.qrimage import invoice_qr_text, qr_svg_data_uri
from invoicing.rules.amounts import fmt_money


def invoice_pdf_context(invoice) -> dict:
    red = invoice.kind == "red"
    issued = local_moment(invoice.issued_at)
    return {
        "invoice": invoice,
        "title": invoice_title(invoice),
        "red": red,
        "issued_date": f"{issued:%Y年%m月%d日}",
        "seller": invoice.seller or {},
        "lines": line_rows(invoice),
        "total_amount": fmt_money(invoice.total_amount),
        "total_tax": fmt_money(invoice.total_tax),
        "total_with_tax": fmt_money(invoice.total_with_tax),
        # The layout prints a red invoice's amount in words as （负数）壹佰…
        "capitals": amount_to_chinese_capitals(invoice.total_with_tax, negative_prefix="（负数）"),
        "qr_uri": qr_svg_data_uri(invoice_qr_text(invoice)),
        "blue_number": invoice.blue_invoice.number if red and invoice.blue_invoice_id else "",
        "font_stack": CJK_FONT_STACK,
    }


def invoice_pdf_bytes(invoice) -> bytes:
    """The PDF of an issued invoice; MissingCJKFontError before any rendering without a Chinese font."""
    from weasyprint import HTML

    require_cjk_font()
    if not invoice.number or not invoice.issued_at:
        raise ValueError(f"发票 {invoice.pk} 尚未开具（无号码或开票日期），不能生成 PDF")
    html = render_to_string("invoicing/documents/invoice_pdf.html", invoice_pdf_context(invoice))
    return HTML(string=html).write_pdf()
