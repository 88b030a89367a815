import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.models import Invoice, InvoiceLine


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "https://kaipiao.example.com"


_numbers = iter(range(1, 10**6))


def make_invoice(store, *, kind="blue", type_="02", lines=None, blue=None, **extra) -> Invoice:
    """An issued invoice written straight through the ORM (the pipeline is not needed here)."""
    lines = lines or [("红富士苹果", "1010115010100000000", Decimal("2"), Decimal("50"), Decimal("100.00"),
                       Decimal("0.09"), Decimal("9.00"))]
    amount = sum(line[4] for line in lines)
    tax = sum(line[6] for line in lines)
    invoice = Invoice.objects.create(
        company=store.company, store=store, kind=kind, type=type_, status=Invoice.Status.ISSUED,
        number=f"2531700{next(_numbers):013d}", blue_invoice=blue,
        buyer_name=extra.pop("buyer_name", "上海买方科技有限公司"), buyer_tax_id=extra.pop("buyer_tax_id", "91310000MA1FL8XQ30"),
        seller={"tax_id": store.company.tax_id, "name": store.company.name, "address": "上海市浦东新区", "phone": "021-1"},
        total_amount=amount, total_tax=tax, total_with_tax=amount + tax, drawer="张三",
        issued_at=extra.pop("issued_at", timezone.make_aware(dt.datetime(2025, 3, 5, 10, 30))),
        confirmed_at=timezone.now(), **extra,
    )
    for i, (name, code, qty, price, line_amount, rate, line_tax) in enumerate(lines, start=1):
        InvoiceLine.objects.create(invoice=invoice, line_no=i, name=name, tax_code=code, unit="千克", quantity=qty,
                                   unit_price=price, amount=line_amount, rate=rate, tax=line_tax)
    return invoice


def red_of(blue: Invoice) -> Invoice:
    lines = [(line.name, line.tax_code, -line.quantity, line.unit_price, -line.amount, line.rate, -line.tax)
             for line in blue.lines.all()]
    return make_invoice(blue.store, kind="red", lines=lines, blue=blue, red_form_number="3101234567890123",
                        issued_at=blue.issued_at + dt.timedelta(days=1))
