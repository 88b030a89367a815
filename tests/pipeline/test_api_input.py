"""Bad input is answered with a clear error naming the field, and nothing is half-written."""

import json
import time

import pytest

from audit.models import AuditEvent
from invoicing.models import Invoice, InvoiceLine, Order
from tests.pipeline.conftest import CHEESE, an_order


def counts():
    return (Order.objects.count(), Invoice.objects.count(), InvoiceLine.objects.count(),
            AuditEvent.objects.filter(action__startswith="order").count())


@pytest.fixture
def before(shop):
    return counts()


def assert_refused(response, status, code, field=None):
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert response.json()["error"] == errors[0]
    matching = [e for e in errors if e["code"] == code and (field is None or e["field"] == field)]
    assert matching, response.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in matching[0]["message"])
    return response.json()


def test_malformed_json_is_400(shop, before):
    assert_refused(shop.api.post("/api/v1/orders", raw=b'{"order_no": '), 400, "malformed_json")
    assert counts() == before


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"order_no": None}, "required", "order_no"),
    ({"order_no": 123}, "type_string", "order_no"),
    ({"order_no": "has space"}, "format", "order_no"),
    ({"paid_at": "yesterday"}, "type_datetime", "paid_at"),
    ({"paid_at": "2999-01-01T00:00:00+08:00"}, "in_future", "paid_at"),
    ({"total": "abc"}, "type_number", "total"),
    ({"total": True}, "type_number", "total"),
    ({"total": "1.234"}, "precision", "total"),
    ({"total": "1.00"}, "total_mismatch", "total"),
    ({"invoice_type": "03"}, "invoice_type_invalid", "invoice_type"),
    ({"invoice_type": "01"}, "buyer_tax_id_required", "buyer.tax_id"),
    ({"buyer": {"name": "某公司", "tax_id": "91310115MA0000001X"}}, "buyer_tax_id_invalid", "buyer.tax_id"),
    ({"buyer": "张三"}, "type_object", "buyer"),
    ({"lines": []}, "lines_missing", "lines"),
    ({"lines": "x"}, "type_array", "lines"),
    ({"colour": "red"}, "unknown_field", "colour"),
])
def test_every_order_field_is_checked(shop, before, change, code, field):
    order = an_order()
    order.update(change)
    order = {k: v for k, v in order.items() if v is not None}
    assert_refused(shop.api.post("/api/v1/orders", order), 422, code, field)
    assert counts() == before


@pytest.mark.parametrize(("line_change", "code", "field"), [
    ({"tax_code": "1234567890123456789"}, "tax_code_unknown", "lines[0].tax_code"),
    ({"tax_code": "1030204000000000000"}, "tax_code_summary", "lines[0].tax_code"),
    ({"rate": "0.06"}, "rate_not_allowed", "lines[0].rate"),
    ({"rate": "13"}, "rate_invalid", "lines[0].rate"),
    ({"quantity": "-1"}, "not_positive", "lines[0].quantity"),
    ({"quantity": None, "unit_price": None}, "amount_required", "lines[0].amount"),
    ({"name": ""}, "required", "lines[0].name"),
    ({"sku": "NOPE"}, "unknown_sku", "lines[0].sku"),
])
def test_every_line_field_is_checked(shop, before, line_change, code, field):
    order = an_order()
    order["lines"][0].update(line_change)
    order["lines"][0] = {k: v for k, v in order["lines"][0].items() if v is not None}
    assert_refused(shop.api.post("/api/v1/orders", order), 422, code, field)
    assert counts() == before


def test_a_twenty_megabyte_body_is_413(shop, before):
    big = b'{"order_no": "X", "remark": "' + b"a" * (20 * 1024 * 1024) + b'"}'
    assert_refused(shop.api.post("/api/v1/orders", raw=big), 413, "body_too_large")
    assert counts() == before


def test_a_thousand_lines_are_accepted_and_more_than_two_thousand_refused(shop, before):
    lines = [{"name": f"奶酪{i}", "tax_code": CHEESE, "rate": "0.13", "quantity": "1", "unit_price": "1.13"}
             for i in range(1000)]
    response = shop.api.post("/api/v1/orders", an_order("BIG-1", lines=lines))
    assert response.status_code == 201, response.text[:500]
    assert InvoiceLine.objects.count() == before[2] + 1000
    now = counts()
    too_many = [dict(lines[0]) for _ in range(2001)]
    assert_refused(shop.api.post("/api/v1/orders", an_order("BIG-2", lines=too_many)), 422, "too_many_lines", "lines")
    assert counts() == now


def test_a_batch_over_500_is_refused(shop, before):
    orders = [an_order() for _ in range(501)]
    assert_refused(shop.api.post("/api/v1/orders/batch", {"orders": orders}), 422, "batch_too_large", "orders")
    assert counts() == before


@pytest.mark.parametrize("tamper", ["signature", "secret", "timestamp", "missing", "unknown_key", "revoked"])
def test_bad_signatures_are_401(shop, before, tamper):
    from audit.services import Actor
    from invoicing.integrations.apikeys import api_key_revoke

    body = json.dumps(an_order()).encode()
    headers = shop.api.headers("POST", "/api/v1/orders", body)
    if tamper == "signature":
        headers["X-Signature"] = "0" * 64
    elif tamper == "secret":
        headers = shop.api.headers("POST", "/api/v1/orders", body, secret="f" * 64)
    elif tamper == "timestamp":
        headers = shop.api.headers("POST", "/api/v1/orders", body, timestamp=int(time.time()) - 301)
    elif tamper == "missing":
        del headers["X-Nonce"]
    elif tamper == "unknown_key":
        headers["X-Key-Id"] = "kp_nope"
    elif tamper == "revoked":
        api_key_revoke(api_key=shop.key1, actor=Actor.system())
    import requests

    response = requests.post(shop.base + "/api/v1/orders", data=body, headers=headers, timeout=10)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"].startswith("auth_")
    assert counts() == before


def test_a_replayed_request_is_refused(shop, before):
    body = json.dumps(an_order("R-1")).encode()
    headers = shop.api.headers("POST", "/api/v1/orders", body)
    import requests

    first = requests.post(shop.base + "/api/v1/orders", data=body, headers=headers, timeout=10)
    replay = requests.post(shop.base + "/api/v1/orders", data=body, headers=headers, timeout=10)
    assert first.status_code == 201
    assert_refused(replay, 401, "auth_nonce_replayed", "X-Nonce")
    assert Order.objects.count() == before[0] + 1


def test_another_stores_key_cannot_read_or_refund_this_stores_orders(shop):
    shop.api.post("/api/v1/orders", an_order("A1-OWN"))
    assert_refused(shop.api2.get("/api/v1/orders/A1-OWN"), 404, "order_not_found")
    refund = {"refund_id": "RF-X", "order_no": "A1-OWN", "refunded_at": "2025-01-02T10:00:00+08:00", "amount": "1.00"}
    assert_refused(shop.api2.post("/api/v1/refunds", refund), 404, "order_not_found")
    # Posting the same order number from another store neither reads nor changes the first order.
    assert shop.api2.post("/api/v1/orders", an_order("A1-OWN")).status_code == 409
    assert Order.objects.get(order_no="A1-OWN").store == shop.a1
    assert shop.api.get("/api/v1/orders/A1-OWN").status_code == 200


def test_the_openapi_schema_is_served(shop):
    import requests

    schema = requests.get(shop.base + "/api/v1/openapi.json", timeout=10).json()
    assert schema["openapi"].startswith("3.") and "/api/v1/orders/batch" in schema["paths"]
