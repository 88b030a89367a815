"""Helpers for the screen tests: invoices written straight to the database (no pipeline)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.models import Invoice, InvoiceEvent, InvoiceLine, Order, Product

CHEESE = "1030204020000000000"  # 固体及半固体乳制品: 13 %
VEGETABLE = "1010112010000000000"  # 根菜类蔬菜: 9 %
BUYER_TAX_ID = "91350100M000100Y43"

_numbers = itertools.count(1)


def make_invoice(store, *, status=Invoice.Status.ISSUED, buyer_name="福州示例贸易有限公司", buyer_tax_id=BUYER_TAX_ID,
                 amount="100.00", rate="0.13", order_no: str | None = None, created_at=None, **overrides) -> Invoice:
    amount = Decimal(amount)
    tax = (amount * Decimal(rate)).quantize(Decimal("0.01"))
    n = next(_numbers)
    order = None
    if order_no:
        order = Order.objects.create(
            company=store.company, store=store, order_no=order_no, payload_hash="x" * 64, buyer_name=buyer_name,
            total_amount=amount, total_tax=tax, total_with_tax=amount + tax, lines=[],
            paid_at=timezone.now(),
        )
    values = dict(
        company=store.company, store=store, order=order, status=status, buyer_name=buyer_name,
        buyer_tax_id=buyer_tax_id, total_amount=amount, total_tax=tax, total_with_tax=amount + tax,
        number=f"2531700000{n:010d}" if status == Invoice.Status.ISSUED else None,
        issued_at=timezone.now() if status == Invoice.Status.ISSUED else None,
        confirmed_at=timezone.now() if status == Invoice.Status.ISSUED else None,
        seller={"name": store.company.name, "tax_id": store.company.tax_id},
    )
    values.update(overrides)
    invoice = Invoice.objects.create(**values)
    if created_at is not None:
        Invoice.objects.filter(pk=invoice.pk).update(created_at=created_at)
        invoice.refresh_from_db()
    InvoiceLine.objects.create(invoice=invoice, line_no=1, name="马苏里拉奶酪", tax_code=CHEESE, quantity=Decimal(1),
                               unit_price=amount, amount=amount, rate=Decimal(rate), tax=tax, unit="盒")
    InvoiceEvent.objects.create(invoice=invoice, created_at=timezone.now(), status_from="", status_to=status,
                                actor_label="test", message="created by test")
    return invoice


def make_product(company, **overrides) -> Product:
    values = dict(company=company, name="马苏里拉奶酪", sku=f"SKU{next(_numbers)}", tax_code=CHEESE,
                  rate=Decimal("0.13"), price=Decimal("56.50"), unit="盒")
    values.update(overrides)
    return Product.objects.create(**values)


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login
