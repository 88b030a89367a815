"""Issue 13 item 2: property-based fuzzing of the whole integration API from its OpenAPI schema.

Every operation of ``/api/v1/openapi.json`` gets generated requests (valid and invalid by the
schema), signed as a shop signs them, sent over real HTTP to the live server with PostgreSQL and
Redis behind it. No answer may be a 5xx; every 4xx must be JSON with an error ``code`` and a
Chinese ``message``; every answer must be one the schema declares. The number of examples is
bounded (``FUZZ_EXAMPLES`` per operation) so that the run stays within about a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from invoicing.api.schema import openapi_schema
from tests.pipeline.conftest import an_order
from tests.pipeline.test_api_input import assert_refused, counts

FUZZ_EXAMPLES = 16

schema = schemathesis.openapi.from_dict(openapi_schema())


class Signed(requests.auth.AuthBase):
    """Signs the request exactly as it goes on the wire (docs/api.md, "Signing")."""

    def __init__(self, key_id: str, secret: str):
        self.key_id, self.secret = key_id, secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
        message = "\n".join([request.method, request.path_url, timestamp, nonce, hashlib.sha256(body).hexdigest()])
        request.headers.update({
            "X-Key-Id": self.key_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
            "X-Signature": hmac.new(self.secret.encode(), message.encode(), hashlib.sha256).hexdigest(),
        })
        return request


def errors_are_json_with_a_code_and_a_chinese_message(ctx, response, case):
    """Every 4xx answer: JSON ``{"error": {"code", "message"}, "errors": [...]}``, the message in Chinese."""
    if not 400 <= response.status_code < 500:
        return None
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.content[:200]
    body = json.loads(response.content)
    errors = body.get("errors") or [body.get("error")]
    assert body.get("error") and errors, body
    for error in errors:
        assert isinstance(error.get("code"), str) and error["code"], body
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error.get("message", "")), body
    return None


def test_no_generated_request_gets_a_server_error(shop):
    # One live server, one shop and one database flush for all operations (each costs seconds).
    auth = Signed(shop.key1.key_id, shop.api.secret)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
              errors_are_json_with_a_code_and_a_chinese_message]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} == {
        "POST /api/v1/orders", "POST /api/v1/orders/batch", "GET /api/v1/orders/{order_no}",
        "POST /api/v1/refunds", "POST /api/v1/refunds/batch"}
    for operation in operations:

        # Valid by the schema, and invalid (wrong types, missing and unknown fields, out of range).
        @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                              operation.as_strategy(GenerationMode.NEGATIVE)))
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def requests_to(case):
            response = case.call(base_url=shop.base, auth=auth, timeout=30)
            case.validate_response(response, checks=checks)

        requests_to()


# What the fuzzing found, each pinned by its own test.

def test_a_sku_with_a_nul_is_refused_not_a_database_error(shop):
    """Found by the fuzzer: a NUL in lines[].sku reached the catalogue query (DataError, HTML 500)."""
    order = an_order()
    order["lines"][0] = {"sku": "DM\u0000004", "quantity": "1"}
    before = counts()
    assert_refused(shop.api.post("/api/v1/orders", order), 422, "bad_character", "lines[0].sku")
    body = {"orders": [order]}
    answer = shop.api.post("/api/v1/orders/batch", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["errors"][0]["code"] == "bad_character"
    assert counts() == before


def test_a_batch_answers_a_non_string_order_no_as_null(shop):
    """Found by the fuzzer: {"order_no": {}} was echoed as an object where the schema says string."""
    answer = shop.api.post("/api/v1/orders/batch", {"orders": [{**an_order(), "order_no": {"x": 1}}]})
    result = answer.json()["results"][0]
    assert (result["status"], result["order_no"]) == (422, None)
    assert result["errors"][0]["field"] == "orders[0].order_no"


@pytest.mark.parametrize(("method", "path"), [("PUT", "/api/v1/orders"), ("TRACE", "/api/v1/orders/batch"),
                                              ("DELETE", "/api/v1/orders/X1"), ("GET", "/api/v1/refunds")])
def test_a_wrong_method_gets_a_json_405_in_chinese(shop, method, path):
    """Found by the fuzzer: Django's require_http_methods answered an empty text/html 405."""
    response = shop.api.send(method, path, {})
    body = assert_refused(response, 405, "method_not_allowed")
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Allow"] in ("POST", "GET")
    assert method in body["error"]["message"]
