"""Issue 13 row 11: idempotency compares canonical content, so a re-serialised retry is 200, not 409."""

import json
import re
from decimal import Decimal

import pytest

from invoicing.api.parse import canonical_hash, payload_hash
from invoicing.models import Invoice, Order, Refund
from tests.pipeline.conftest import an_order
from tests.pipeline.test_api_input import counts


def reserialised(order: dict) -> bytes:
    """The same order as another shop system writes it: UTC, numbers as JSON numbers, "1.0", keys reversed."""
    again = json.loads(json.dumps(order))
    again["paid_at"] = "2025-01-01T02:00:00Z"  # 10:00 +08:00
    again["invoice_type"] = "02"  # the default, now written out
    for line in again["lines"]:
        line["quantity"] = line["quantity"] + ".0" if "." not in line["quantity"] else line["quantity"] + "0"
        line["unit_price"] = Decimal(line["unit_price"])  # a JSON number
        line["rate"] = line["rate"] + "00"
        line["name"] = f" {line['name']} "
    again["total"] = Decimal(again["total"])
    again = dict(reversed(list(again.items())))
    # Decimals go out as bare JSON numbers with their exact digits (never through float).
    text = json.dumps(again, ensure_ascii=False, default=lambda d: f"__number__{d}__")
    return re.sub(r'"__number__(-?[0-9.]+)__"', r"\1", text).encode()


def test_it_answers_a_reserialised_retry_with_the_same_order(shop):
    order = an_order("IDEM-1")
    first = shop.api.post("/api/v1/orders", order)
    assert first.status_code == 201, first.text
    before = counts()
    again = shop.api.post("/api/v1/orders", raw=reserialised(order))
    assert again.status_code == 200, again.text
    assert again.json()["order_no"] == "IDEM-1"
    assert counts() == before
    assert Invoice.objects.filter(order__order_no="IDEM-1").count() == 1


def test_it_still_refuses_the_same_number_with_other_content(shop):
    order = an_order("IDEM-2")
    assert shop.api.post("/api/v1/orders", order).status_code == 201
    before = counts()
    changed = json.loads(reserialised(order))
    changed["paid_at"] = "2025-01-01T02:00:01Z"  # one second later: another payment
    answer = shop.api.post("/api/v1/orders", changed)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "order_no_conflict"
    lines = an_order("IDEM-2")["lines"]
    lines[1]["quantity"] = "1.6"
    assert shop.api.post("/api/v1/orders", an_order("IDEM-2", lines=lines)).status_code == 409
    assert counts() == before


def test_it_answers_a_batch_retry_written_otherwise(shop):
    orders = [an_order(f"IDEM-B{i}") for i in range(3)]
    assert shop.api.post("/api/v1/orders/batch", {"orders": orders}).json()["summary"]["201"] == 3
    again = [json.loads(reserialised(order)) for order in orders]
    answer = shop.api.post("/api/v1/orders/batch", {"orders": again})
    assert answer.json()["summary"] == {"201": 0, "200": 3, "409": 0, "422": 0}, answer.text


def test_a_row_stored_before_canonical_hashing_still_matches_its_byte_identical_retry(shop):
    order = an_order("IDEM-OLD")
    assert shop.api.post("/api/v1/orders", order).status_code == 201
    # What the row carried before this change: the hash of the body as written.
    Order.objects.filter(order_no="IDEM-OLD").update(payload_hash=payload_hash(order))
    assert shop.api.post("/api/v1/orders", order).status_code == 200
    assert Order.objects.count() == 1


def test_it_answers_a_reserialised_refund_retry_with_the_same_refund(shop):
    shop.a1.rollout_percent = 0
    shop.a1.save()
    order = an_order("IDEM-R")
    assert shop.api.post("/api/v1/orders", order).status_code == 201
    refund = {"refund_id": "IDEM-R-1", "order_no": "IDEM-R", "refunded_at": "2025-01-02T10:00:00+08:00",
              "amount": "10.00", "lines": [{"line_no": 1, "amount": "10.00", "quantity": "0.5"}]}
    assert shop.api.post("/api/v1/refunds", refund).status_code == 201
    again = {"lines": [{"quantity": 0.50, "amount": 10, "line_no": 1}], "amount": "10",
             "refunded_at": "2025-01-02T03:00:00+01:00", "order_no": "IDEM-R", "refund_id": "IDEM-R-1"}
    assert shop.api.post("/api/v1/refunds", again).status_code == 200
    other = {**refund, "refunded_at": "2025-01-02T10:00:00Z"}
    assert shop.api.post("/api/v1/refunds", other).status_code == 409
    assert Refund.objects.count() == 1


@pytest.mark.parametrize(("a", "b"), [
    ({"quantity": "1"}, {"quantity": "1.0"}),
    ({"quantity": "1"}, {"quantity": 1}),
    ({"quantity": "100"}, {"quantity": Decimal("1E+2")}),  # the JSON number 1e2
    ({"quantity": "0"}, {"quantity": "0.000"}),
    ({"name": "奶酪"}, {"name": " 奶酪 "}),
    ({"spec": ""}, {"spec": None}),
])
def test_canonical_hash_treats_equal_values_as_one(a, b):
    assert canonical_hash({"lines": [a]}, defaults={}) == canonical_hash({"lines": [b]}, defaults={})


def test_canonical_hash_keeps_different_values_apart():
    assert (canonical_hash({"lines": [{"quantity": "1"}]}, defaults={})
            != canonical_hash({"lines": [{"quantity": "1.01"}]}, defaults={}))
    assert (canonical_hash({"paid_at": "2025-01-01T10:00:00+08:00"}, defaults={})
            == canonical_hash({"paid_at": "2025-01-01T10:00:00"}, defaults={}))  # naive means Shanghai
    assert (canonical_hash({"paid_at": "2025-01-01T10:00:00+08:00"}, defaults={})
            != canonical_hash({"paid_at": "2025-01-01T10:00:00Z"}, defaults={}))
