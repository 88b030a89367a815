"""Issue 13: intake refuses what cannot be a real order; no input gives a 5xx (rows 1, 5, 11)."""

import json

import pytest

from invoicing.models import Order
from tests.pipeline.conftest import an_order
from tests.pipeline.test_api_input import assert_refused, counts


@pytest.fixture
def before(shop):
    return counts()


@pytest.mark.parametrize(("paid_at", "code"), [
    ("0001-01-01T00:00:00+14:00", "too_early"),  # row 1: stored as 1 BC, then every batch failed
    ("1900-01-01T00:00:00+08:00", "too_early"),  # row 11
    ("1999-12-31T23:59:59+08:00", "too_early"),
    ("9999-12-31T23:59:59-14:00", "in_future"),  # past the calendar's end in UTC
])
def test_impossible_payment_times_are_refused(shop, before, paid_at, code):
    body = assert_refused(shop.api.post("/api/v1/orders", an_order(paid_at=paid_at)), 422, code, "paid_at")
    assert "paid_at" in body["error"]["message"]
    assert counts() == before


def test_an_order_paid_on_the_first_day_of_2000_is_accepted(shop):
    assert shop.api.post("/api/v1/orders", an_order(paid_at="2000-01-01T00:00:00+08:00")).status_code == 201


@pytest.mark.parametrize(("where", "value"), [
    ("name", "奶酪\u0000"),  # row 5: NUL → DataError
    ("name", "奶\u0007酪"),
    ("name", "奶酪\ud800"),  # row 5: lone surrogate
    ("name", "奶酪😀"),  # emoji: the platform cannot print it
    ("unit", "盒\x85盒"),
    ("remark", "备注\u0000"),
    ("buyer.name", "某公司\ud83d"),
])
def test_unprintable_characters_are_refused_with_the_field(shop, before, where, value):
    order = an_order()
    if where == "remark":
        order["remark"] = value
        field = "remark"
    elif where == "buyer.name":
        order["buyer"] = {"name": value}
        field = "buyer.name"
    else:
        order["lines"][0][where] = value
        field = f"lines[0].{where}"
    # ASCII-escaped JSON: a lone surrogate cannot be sent as UTF-8 at all.
    assert_refused(shop.api.post("/api/v1/orders", raw=json.dumps(order).encode()), 422, "bad_character", field)
    assert counts() == before


def test_rare_name_characters_and_full_width_letters_are_accepted(shop):
    order = an_order()
    order["lines"][0]["name"] = "𠮷野家Ｔ恤"
    assert shop.api.post("/api/v1/orders", order).status_code == 201


@pytest.mark.parametrize(("field", "value", "code"), [
    ("unit_price", "1000000000000000.00", "out_of_range"),  # row 5: InvalidOperation
    ("unit_price", 1e300, "out_of_range"),  # a JSON number, read as an exact Decimal
    ("quantity", "1." + "0" * 19 + "1", "precision"),  # row 11: 20 decimals (docs: ≤ 13)
    ("quantity", "１", "type_number"),  # row 11: full-width digit
    ("quantity", " 1 ", "type_number"),  # row 11: surrounding spaces
    ("quantity", "1e3", "type_number"),
    ("quantity", "9" * 5000, "type_number"),
])
def test_numbers_past_the_documented_digits_are_refused(shop, before, field, value, code):
    order = an_order()
    order["lines"][0][field] = value
    assert_refused(shop.api.post("/api/v1/orders", order), 422, code, f"lines[0].{field}")
    assert counts() == before


def test_quantity_times_price_past_the_money_limit_is_refused(shop, before):
    order = an_order()
    order["lines"][0].update(quantity="999999999999999", unit_price="999999999999999")
    assert_refused(shop.api.post("/api/v1/orders", order), 422, "out_of_range", "lines[0].unit_price")
    assert counts() == before


@pytest.mark.parametrize(("buyer", "code", "field"), [
    ({"name": "某" * 101}, "too_long", "buyer.name"),
    ({"name": "某公司", "address": "路" * 90, "phone": "021-12345678"}, "too_long", "buyer.phone"),
    ({"name": "某公司", "bank_name": "银行" * 45, "bank_account": "6222" * 4}, "too_long", "buyer.bank_account"),
    ({"name": "某公司", "email": "not-an-email"}, "email_invalid", "buyer.email"),  # row 11
    ({"name": "某公司", "mobile": "１３８００１３８０００"}, "mobile_invalid", "buyer.mobile"),
])
def test_buyer_fields_have_the_platforms_limits(shop, before, buyer, code, field):
    assert_refused(shop.api.post("/api/v1/orders", an_order(buyer=buyer)), 422, code, field)
    assert counts() == before


@pytest.mark.parametrize(("field", "limit"), [("name", 90), ("spec", 40), ("unit", 20)])
def test_line_fields_have_the_platforms_limits(shop, before, field, limit):
    order = an_order()
    order["lines"][0][field] = "品" * (limit + 1)
    assert_refused(shop.api.post("/api/v1/orders", order), 422, "too_long", f"lines[0].{field}")
    order["lines"][0][field] = "品" * limit
    assert shop.api.post("/api/v1/orders", order).status_code == 201


@pytest.mark.parametrize("raw", [
    b"[" * 100_000,  # row 5: RecursionError
    b'{"buyer": ' * 3000 + b"1" + b"}" * 3000,  # row 5
    b'{"order_no": "A", "lines": [[[[[[[[[[1]]]]]]]]]]}',
])
def test_deep_json_is_refused_before_parsing(shop, before, raw):
    body = assert_refused(shop.api.post("/api/v1/orders", raw=raw), 400, "json_too_deep")
    assert body["error"]["message"]
    assert counts() == before


def test_deep_json_is_refused_by_the_batch_endpoints_too(shop, before):
    assert_refused(shop.api.post("/api/v1/orders/batch", raw=b"[" * 100_000), 400, "json_too_deep")
    assert_refused(shop.api.post("/api/v1/refunds", raw=b"{\"a\":" * 3000), 400, "json_too_deep")


@pytest.mark.parametrize("path", ["/api/v1/orders/%00", "/api/v1/orders/%F0%9F%98%80", "/api/v1/orders/a%0Ab"])
def test_impossible_order_numbers_are_json_404(shop, path):
    response = shop.api.get(path)  # row 5: %00 was a DataError, an HTML 500
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "order_not_found"


def test_an_overlong_order_number_is_json_404(shop, client, settings):
    # In process: the test live server's static-files wrapper stats the path itself and fails
    # on a 5,000-character name ("File name too long") before the app sees the request.
    settings.ALLOWED_HOSTS = ["*"]
    path = "/api/v1/orders/" + "A" * 5000
    response = client.get(path, headers=shop.api.headers("GET", path, b""))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"


def test_a_path_that_is_not_utf8_is_a_json_4xx(shop):
    response = shop.api.get("/api/v1/orders/%ED%A0%80")
    assert response.status_code in (401, 404), response.text  # the signed path and Django's decoding differ
    assert response.json()["error"]["code"]


def test_a_lone_surrogate_in_a_batch_order_no_is_answered_not_500(shop, before):
    raw = b'{"orders": [{"order_no": "A\\ud800", "lines": []}]}'
    response = shop.api.post("/api/v1/orders/batch", raw=raw)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == 422
    assert counts() == before


@pytest.mark.parametrize("headers", [{"key_id": "kp_\u0000"}, {"timestamp": "9" * 5000}])
def test_garbage_in_auth_headers_is_401(shop, headers):
    body = b"{}"
    signed = shop.api.headers("POST", "/api/v1/orders", body)
    if "key_id" in headers:
        signed["X-Key-Id"] = headers["key_id"]
    else:
        signed["X-Timestamp"] = headers["timestamp"]
    import requests

    response = requests.post(shop.base + "/api/v1/orders", data=body, headers=signed, timeout=30)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"].startswith("auth_")


def test_a_refund_before_2000_is_refused(shop):
    order = an_order()
    assert shop.api.post("/api/v1/orders", order).status_code == 201
    refund = {"refund_id": "R1", "order_no": order["order_no"], "refunded_at": "0001-01-01T00:00:00Z",
              "amount": order["total"]}
    assert_refused(shop.api.post("/api/v1/refunds", refund), 422, "too_early", "refunded_at")
    assert json.loads(json.dumps(refund))  # the payload itself is ordinary JSON
    assert Order.objects.count() == 1
