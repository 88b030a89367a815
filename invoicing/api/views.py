"""Integration API views: parse, authenticate, call one service, answer JSON (docs/api.md)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from audit.services import Actor
from invoicing.api import parse
from invoicing.api.auth import AuthFailed, authenticate, touch
from invoicing.api.schema import openapi_schema
from invoicing.errors import ServiceError
from invoicing.integrations.serialize import order_public, refund_public
from invoicing.models import Order, Product
from invoicing.orders.refunds import refund_receive
from invoicing.orders.services import CONFLICT, EXISTING, order_receive_many
from invoicing.rules import limits
from invoicing.taxcodes.coding import AutoCoder

logger = logging.getLogger(__name__)


def max_body() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", 2 * 1024 * 1024))


def json_answer(status: int, body: dict) -> HttpResponse:
    """UTF-8 JSON; a lone surrogate a client sent and we echo (an order_no, a key) becomes "?"
    instead of a UnicodeEncodeError, i.e. a 500."""
    text = json.dumps(body, ensure_ascii=False, cls=DjangoJSONEncoder)
    return HttpResponse(text.encode("utf-8", "replace"), status=status, content_type="application/json")


def error_response(status: int, errors: list, *, extra: dict | None = None) -> HttpResponse:
    items = [e.as_dict() if isinstance(e, parse.ApiError) else e for e in errors]
    body = {"error": items[0], "errors": items}
    body.update(extra or {})
    return json_answer(status, body)


def ok(status: int, body: dict) -> HttpResponse:
    return json_answer(status, body)


def err(code: str, message: str, field: str = "") -> parse.ApiError:
    return parse.ApiError(code=code, message=message, field=field)


def api_view(methods: list[str]):
    """Body limit, signature check and JSON decoding shared by every signed endpoint."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return checked(request, *args, **kwargs)
            except (OperationalError, InterfaceError):
                # The database is unreachable (a restart, a failover): nothing was stored, the shop
                # may send the same request again. Say so in JSON, never an HTML 500.
                logger.warning("API %s %s: database unavailable, answered 503", request.method, request.path[:80])
                response = error_response(503, [err("service_unavailable",
                                                    "系统暂时无法处理（数据库连接中断），本次请求未被处理；请稍后按原样重发")])
                response["Retry-After"] = "5"
                return response

        def checked(request, *args, **kwargs):
            if request.method not in methods:
                # Django's require_http_methods answers an empty text/html 405; a shop gets JSON.
                response = error_response(405, [err("method_not_allowed",
                                                    f"该接口只接受 {'、'.join(methods)} 请求，当前为 {request.method[:10]}")])
                response["Allow"] = ", ".join(methods)
                return response
            length = request.META.get("CONTENT_LENGTH") or "0"
            if not length.isdigit() or int(length) > max_body():
                return error_response(413, [err("body_too_large",
                                                f"请求体超过{max_body() // (1024 * 1024)}MB上限，请分批提交（每批最多{parse.MAX_BATCH}个订单）")])
            try:
                body = request.body
            except RequestDataTooBig:
                return error_response(413, [err("body_too_large", "请求体过大，请分批提交")])
            if len(body) > max_body():  # a chunked body has no Content-Length to refuse it by
                return error_response(413, [err("body_too_large", "请求体过大，请分批提交")])
            try:
                key = authenticate(request, body)
            except AuthFailed as exc:
                return error_response(401, [exc.error])
            data = None
            if request.method != "GET":
                if parse.json_depth(body) > parse.MAX_JSON_DEPTH:
                    return error_response(400, [err("json_too_deep",
                                                    f"请求体 JSON 嵌套超过{parse.MAX_JSON_DEPTH}层，请按接口文档的结构提交")])
                try:
                    data = json.loads(body.decode("utf-8"), parse_float=Decimal)
                except (UnicodeDecodeError, ValueError) as exc:
                    # ValueError covers integers past Python's 4,300-digit limit too.
                    return error_response(400, [err("malformed_json", f"请求体不是合法的 UTF-8 JSON：{str(exc)[:120]}")])
            touch(key)
            return view(request, key, data, *args, **kwargs)

        return wrapper

    return decorate


def _products_for(company, items) -> dict:
    skus = set()
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("lines"), list):
            skus |= {line.get("sku") for line in item["lines"] if isinstance(line, dict) and isinstance(line.get("sku"), str)}
    # Only what can be a SKU reaches the query: a NUL in one is a DataError there (the parser
    # then refuses the line with the field).
    skus = {sku.strip() for sku in skus if len(sku) <= parse.SKU_MAX and not limits.text_problem(sku)}
    if not skus:
        return {}
    return {p.sku: p for p in Product.objects.filter(company=company, sku__in=skus, active=True)}


def _actor(key) -> Actor:
    return Actor.api_key(f"{key.label} ({key.key_id})")


def _order_answer(outcome) -> tuple[int, dict]:
    if outcome.status == CONFLICT:
        return 409, {"error": err("order_no_conflict",
                                  f"订单号 {outcome.order_no} 已提交过且内容不同；同一订单号只能对应一笔订单，请勿修改后重复提交",
                                  "order_no").as_dict()}
    body = order_public(outcome.order)
    return (200 if outcome.status == EXISTING else 201), body


@api_view(["POST"])
def orders_create(request, key, data):
    """POST /api/v1/orders — one paid order."""
    company = key.store.company
    parsed = parse.parse_order(data, products=_products_for(company, [data]), coder=AutoCoder.for_request(company))
    if isinstance(parsed, list):
        return error_response(422, parsed)
    [outcome] = order_receive_many(store=key.store, parsed_orders=[parsed], actor=_actor(key), api_key=key)
    status, body = _order_answer(outcome)
    if status == 409:
        return error_response(409, [body["error"]])
    return ok(status, body)


@api_view(["POST"])
def orders_batch(request, key, data):
    """POST /api/v1/orders/batch — up to 500 orders; each answered on its own (all valid ones in one transaction)."""
    items = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        return error_response(422, [err("orders_missing", "请求体应为 {\"orders\": [...]}，至少一个订单", "orders")])
    if len(items) > parse.MAX_BATCH:
        return error_response(422, [err("batch_too_large", f"每批最多{parse.MAX_BATCH}个订单，当前{len(items)}个，请分批提交",
                                        "orders")])
    products = _products_for(key.store.company, items)
    coder = AutoCoder.for_request(key.store.company)  # one matcher lookup per distinct line name, one budget
    results: list[dict | None] = [None] * len(items)
    valid, positions = [], []
    for index, item in enumerate(items):
        parsed = parse.parse_order(item, prefix=f"orders[{index}]", products=products, coder=coder)
        if isinstance(parsed, list):
            order_no = item.get("order_no") if isinstance(item, dict) else None
            results[index] = {"status": 422, "order_no": order_no if isinstance(order_no, str) else None,
                              "errors": [e.as_dict() for e in parsed]}
        else:
            valid.append(parsed)
            positions.append(index)
    if valid:
        outcomes = order_receive_many(store=key.store, parsed_orders=valid, actor=_actor(key), api_key=key)
        for index, outcome in zip(positions, outcomes, strict=True):
            status, body = _order_answer(outcome)
            if status == 409:
                results[index] = {"status": 409, "order_no": outcome.order_no, "errors": [body["error"]]}
            else:
                results[index] = {"status": status, "order_no": outcome.order_no, "order": body}
    summary = {str(code): sum(1 for r in results if r["status"] == code) for code in (201, 200, 409, 422)}
    return ok(200, {"results": results, "summary": summary})


@api_view(["GET"])
def order_detail(request, key, data, order_no: str):
    """GET /api/v1/orders/<order_no> — only orders of the key's store (another store's: 404)."""
    if not parse.ORDER_NO.match(order_no):
        # No order can have this number ("%00", an overlong path): never reaches the database.
        return error_response(404, [err("order_not_found", "订单号格式不正确（1–64位字母、数字或 _-.:），本门店没有该订单",
                                        "order_no")])
    order = (Order.objects.select_related("store").prefetch_related("invoices", "refunds__order", "refunds__red_invoice")
             .filter(company_id=key.store.company_id, store=key.store, order_no=order_no).first())
    if order is None:
        return error_response(404, [err("order_not_found", f"本门店没有订单号为 {order_no} 的订单", "order_no")])
    return ok(200, order_public(order))


@api_view(["POST"])
def refunds_create(request, key, data):
    """POST /api/v1/refunds — one refund against an order of the key's store."""
    parsed = parse.parse_refund(data)
    if isinstance(parsed, list):
        return error_response(422, parsed)
    try:
        refund, created = refund_receive(store=key.store, parsed=parsed, actor=_actor(key))
    except ServiceError as exc:
        status = 404 if exc.code == "order_not_found" else 409 if exc.code == "refund_id_conflict" else 422
        return error_response(status, [err(exc.code, exc.message, exc.field)])
    return ok(201 if created else 200, refund_public(refund))


@api_view(["POST"])
def refunds_batch(request, key, data):
    """POST /api/v1/refunds/batch — up to 500 refunds, each answered (and written) on its own."""
    items = data.get("refunds") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        return error_response(422, [err("refunds_missing", "请求体应为 {\"refunds\": [...]}，至少一笔退款", "refunds")])
    if len(items) > parse.MAX_BATCH:
        return error_response(422, [err("batch_too_large", f"每批最多{parse.MAX_BATCH}笔退款", "refunds")])
    results = []
    for index, item in enumerate(items):
        parsed = parse.parse_refund(item, prefix=f"refunds[{index}]")
        if isinstance(parsed, list):
            results.append({"status": 422, "errors": [e.as_dict() for e in parsed]})
            continue
        try:
            refund, created = refund_receive(store=key.store, parsed=parsed, actor=_actor(key))
        except ServiceError as exc:
            status = 404 if exc.code == "order_not_found" else 409 if exc.code == "refund_id_conflict" else 422
            results.append({"status": status, "refund_id": parsed.refund_id,
                            "errors": [err(exc.code, exc.message, f"refunds[{index}].{exc.field}" if exc.field else "").as_dict()]})
            continue
        results.append({"status": 201 if created else 200, "refund_id": refund.refund_id,
                        "refund": refund_public(refund)})
    return ok(200, {"results": results})


@require_GET
def openapi(request):
    """GET /api/v1/openapi.json — the OpenAPI 3 description (public)."""
    return ok(200, openapi_schema())
