"""Who sees which invoices; number blocks refilled ahead of need, with the serial stored before the call."""

from decimal import Decimal

import pytest

from invoicing.issuing.numbers import number_blocks_ensure, numbers_available
from invoicing.issuing.platform import provider_for
from invoicing.models import Invoice, NumberBlock, Order
from tests.pipeline.conftest import an_order, run_jobs


@pytest.fixture
def invoices(tenants):
    made = {}
    for store in (tenants.a1, tenants.a2, tenants.b1):
        order = Order.objects.create(company=store.company, store=store, order_no=f"O-{store.code}", payload_hash="x",
                                     lines=[], total_amount=Decimal(1), total_tax=Decimal(0),
                                     total_with_tax=Decimal(1), paid_at="2025-01-01T00:00:00+08:00")
        made[store.code] = Invoice.objects.create(company=store.company, store=store, order=order,
                                                  total_amount=Decimal(1), total_tax=Decimal(0),
                                                  total_with_tax=Decimal(1))
    return made


@pytest.mark.parametrize(("user", "visible"), [
    ("hq_admin", {"A1", "A2"}), ("hq_finance", {"A1", "A2"}), ("manager_a1", {"A1"}), ("clerk_a1", {"A1"}),
    ("clerk_a2", {"A2"}), ("hq_admin_b", {"B1"}), ("clerk_b1", {"B1"}),
])
def test_invoices_for_user(tenants, invoices, user, visible):
    seen = {inv.store.code for inv in Invoice.objects.for_user(getattr(tenants, user))}
    assert seen == visible
    assert {o.store.code for o in Order.objects.for_user(getattr(tenants, user))} == visible


def test_a_block_is_fetched_once_even_when_the_answer_was_lost(shop, settings):
    settings.TAX_NUMBER_BLOCK_SIZE = 50
    settings.TAX_NUMBER_LOW_WATER = 10
    shop.control("post", "faults", {"drop_after_upload": False, "refuse_connections": True,
                                    "services": ["QDFPPLFM"], "times": 1})
    provider = provider_for(shop.company)
    with pytest.raises(Exception):  # noqa: B017 - the transport error of a refused connection
        number_blocks_ensure(company=shop.company, provider=provider, needed=1)
    requested = NumberBlock.objects.get()
    assert requested.status == "requested" and requested.request_serial
    number_blocks_ensure(company=shop.company, provider=provider, needed=1)
    block = NumberBlock.objects.get()
    assert block.request_serial == requested.request_serial and block.status == "active"
    assert numbers_available(shop.company) == 50


def test_numbers_are_refilled_ahead_of_need(shop, settings):
    settings.TAX_NUMBER_BLOCK_SIZE = 30
    settings.TAX_NUMBER_LOW_WATER = 10
    shop.api.post("/api/v1/orders/batch", {"orders": [an_order() for _ in range(25)]})
    run_jobs()
    assert Invoice.objects.filter(status="issued").count() == 25
    assert numbers_available(shop.company) >= 10
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == sorted(set(numbers))


def test_status_sync_records_the_platforms_view(shop):
    from invoicing.issuing.status_sync import invoice_status_sync

    shop.api.post("/api/v1/orders", an_order("SYNC-1"))
    run_jobs()
    invoice = Invoice.objects.get()
    shop.control("post", f"invoices/{invoice.number}/book", {})
    report = invoice_status_sync()
    invoice.refresh_from_db()
    assert report["checked"] == 1 and invoice.platform_state == "normal+booked"
    assert invoice.platform_checked_at is not None
    assert invoice_status_sync()["checked"] == 0  # checked within the hour: not asked again
