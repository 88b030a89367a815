"""The invoice QR code's content (数电票 layout spec V5.002, ch. 6).

Content: ``01,{31 专票|32 普票},,{20-digit number},{价税合计, 2 places},{YYYYMMDD},,{CRC}``.

The spec's CRC description contradicts itself: it is *named* CRC-16/X-25, but its parameters
are polynomial 0x8005, initial value 0, reflected input and output, no final XOR — which is
CRC-16/ARC (reflected polynomial 0xA001; check value of "123456789" is 0xBB3D). We implement the
parameters, since they are what a verifier computes, and write the result as 4 upper-case hex
digits. The CRC covers the UTF-8 bytes of everything before it, including the comma that
precedes it (``01,32,,…,20250102,,``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from invoicing.rules.amounts import fmt_money

QR_KIND = {"01": "31", "02": "32"}  # fppz → QR invoice-type code


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC: poly 0x8005 reflected (0xA001), init 0, refin/refout true, xorout 0."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def qr_content(*, invoice_kind: str, number: str, total_with_tax: Decimal, issue_date: dt.date) -> str:
    """The text to encode (error-correction level M) for an issued invoice.

    ``invoice_kind`` is the payload's ``fppz``: ``01`` 专票 or ``02`` 普票.
    """
    try:
        kind = QR_KIND[invoice_kind]
    except KeyError:
        raise ValueError(f"发票种类应为01（专票）或02（普票），实为 {invoice_kind}") from None
    if len(number) != 20 or not number.isdigit():
        raise ValueError(f"发票号码应为20位数字，实为 {number}")
    head = f"01,{kind},,{number},{fmt_money(total_with_tax)},{issue_date:%Y%m%d},,"
    return f"{head}{crc16_arc(head.encode('utf-8')):04X}"
