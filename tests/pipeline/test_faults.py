"""Every sandbox fault ends with exactly one issued invoice per selected order, none missing."""

import pytest
from django.db.models import Count

from invoicing.issuing.pipeline import pipeline_sweep
from invoicing.models import Invoice, InvoiceEvent, Order, UploadBatch
from sandbox.models import UploadedInvoice
from tests.pipeline.conftest import an_order, run_jobs


def drive_until_settled(shop, settings, *, clear_after: int = 2, rounds: int = 8) -> None:
    """Run the workers; when work is left over, let the sweeper find it (as the periodic job would)."""
    settings.TAX_SWEEP_PENDING_AGE = 0
    settings.TAX_STUCK_SENDING_SECONDS = 0
    for round_no in range(rounds):
        run_jobs()
        if not Invoice.objects.filter(status__in=["pending", "uploading"]).exists():
            return
        if round_no + 1 >= clear_after:
            shop.control("delete", "faults")
        pipeline_sweep()
    raise AssertionError(list(UploadBatch.objects.values("status", "last_error")))


def assert_exactly_one_issued_per_order(orders: int) -> None:
    assert Order.objects.count() == orders
    per_order = Invoice.objects.filter(status="issued").values("order").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_order) == [1] * orders, "an order without, or with two, issued invoices"
    assert not Invoice.objects.exclude(status="issued").exists()
    numbers = set(Invoice.objects.values_list("number", flat=True))
    assert len(numbers) == orders
    held = UploadedInvoice.objects.filter(status="00")
    assert held.count() == orders, "the platform issued a number twice or one is missing"
    assert set(held.values_list("fphm", flat=True)) == numbers
    for invoice in Invoice.objects.all():
        assert held.get(fphm=invoice.number).jshj == invoice.total_with_tax


def post_orders(shop, n: int) -> None:
    response = shop.api.post("/api/v1/orders/batch", {"orders": [an_order() for _ in range(n)]})
    assert response.status_code == 200 and response.json()["summary"]["201"] == n


@pytest.mark.parametrize("fault", [
    {"busy_probability": 1, "services": ["QDFPSC"], "times": 3},
    {"busy_probability": 0.5, "services": ["QDFPSC", "CXQDFPSCJG", "QDFPPLFM"]},
    {"maintenance": True, "services": ["QDFPSC"], "times": 2},
    {"throttle_per_s": 1},
    {"refuse_connections": True, "services": ["QDFPSC"], "times": 2},
    {"refuse_connections": True, "services": ["QDFPPLFM", "XZTHSXED"], "times": 1},
    {"drop_after_upload": True, "services": ["QDFPSC"], "times": 1},
    {"drop_after_upload": True, "services": ["QDFPSC"], "times": 3},
], ids=["busy", "busy-half", "maintenance", "throttled", "refused-upload", "refused-numbers",
        "accept-then-drop", "accept-then-drop-thrice"])
def test_faults_end_with_one_issued_invoice_per_order(shop, settings, fault):
    shop.control("post", "faults", fault)
    post_orders(shop, 150)  # two batches
    drive_until_settled(shop, settings)
    assert_exactly_one_issued_per_order(150)


def test_latency_beyond_the_read_timeout(shop, settings):
    settings.TAX_PLATFORM_READ_TIMEOUT = 1
    shop.control("post", "faults", {"latency_ms": 1500, "services": ["QDFPSC"], "times": 1})
    post_orders(shop, 40)
    drive_until_settled(shop, settings, clear_after=3)
    assert_exactly_one_issued_per_order(40)
    assert UploadBatch.objects.filter(attempts__gt=1).exists(), "the timed-out upload was resolved by re-uploading"


def test_a_lost_upload_answer_is_reconciled_with_the_same_numbers(shop, settings):
    shop.control("post", "faults", {"drop_after_upload": True, "services": ["QDFPSC"], "times": 1})
    post_orders(shop, 10)
    run_jobs()
    assert_exactly_one_issued_per_order(10)
    batch = UploadBatch.objects.get()
    assert batch.attempts == 2 and batch.status == "done"
    # The second upload of the same numbers was answered "03 uploaded before", never issued again.
    assert UploadedInvoice.objects.filter(status="03").count() == 10
    messages = InvoiceEvent.objects.filter(status_to="issued").values_list("message", flat=True)
    assert len(messages) == 10 and all("一致" in m for m in messages)
