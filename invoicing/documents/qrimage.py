"""The invoice's QR code as an image (content from invoicing.rules.qr, error correction M)."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

from invoicing.documents.common import local_moment
from invoicing.rules.qr import qr_content


def invoice_qr_text(invoice) -> str:
    return qr_content(invoice_kind=invoice.type, number=invoice.number, total_with_tax=invoice.total_with_tax,
                      issue_date=local_moment(invoice.issued_at).date())


def _code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=2)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_svg_bytes(text: str) -> bytes:
    """Vector image: stays sharp at any print size and costs WeasyPrint no image decoding."""
    return _code(text).make_image(image_factory=qrcode.image.svg.SvgPathFillImage).to_string()


def qr_png_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    _code(text).make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg_data_uri(text: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg_bytes(text)).decode("ascii")
