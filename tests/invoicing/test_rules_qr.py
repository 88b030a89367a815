import datetime as dt

import pytest

from invoicing.rules.qr import crc16_arc, qr_content
from tests.invoicing.factories import D


def test_it_computes_crc16_arc_check_value():
    assert crc16_arc(b"123456789") == 0xBB3D
    assert crc16_arc(b"") == 0


def test_it_builds_the_qr_content():
    content = qr_content(
        invoice_kind="02", number="25357000000000000001", total_with_tax=D("113"), issue_date=dt.date(2025, 1, 2)
    )
    head = "01,32,,25357000000000000001,113.00,20250102,,"
    assert content == head + f"{crc16_arc(head.encode()):04X}"
    assert len(content.rsplit(",", 1)[1]) == 4
    assert content.rsplit(",", 1)[1] == content.rsplit(",", 1)[1].upper()


def test_it_uses_31_for_special_invoices():
    content = qr_content(
        invoice_kind="01", number="25357000000000000001", total_with_tax=D("-5.5"), issue_date=dt.date(2025, 12, 31)
    )
    assert content.startswith("01,31,,25357000000000000001,-5.50,20251231,,")


def test_it_refuses_bad_numbers():
    with pytest.raises(ValueError, match="20位"):
        qr_content(invoice_kind="02", number="123", total_with_tax=D(1), issue_date=dt.date(2025, 1, 1))
    with pytest.raises(ValueError, match="发票种类"):
        qr_content(invoice_kind="03", number="2" * 20, total_with_tax=D(1), issue_date=dt.date(2025, 1, 1))
