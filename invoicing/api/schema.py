"""The OpenAPI 3 description served at /api/v1/openapi.json (hand-written; docs/api.md is the prose)."""

from __future__ import annotations

from invoicing.api.parse import MAX_BATCH, MAX_LINES, ORDER_NO, SKU_MAX
from invoicing.rules import limits

_money = {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$", "example": "113.00"}
_number = {"oneOf": [{"type": "string"}, {"type": "number"}], "description": "数字或数字字符串（按十进制精确解析）"}
_error = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string", "description": "中文，说明如何修改"},
                   "field": {"type": "string", "example": "lines[0].tax_code"}},
}
_error_body = {"type": "object", "properties": {"error": {"$ref": "#/components/schemas/Error"},
                                                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}}}
_signed = [{"KeyId": [], "Timestamp": [], "Nonce": [], "Signature": []}]


def _responses(ok: dict, *extra: int) -> dict:
    texts = {400: "请求体不是合法 JSON", 401: "签名/密钥/时间戳/随机串校验失败", 404: "本门店没有该订单",
             405: "不支持的请求方法", 409: "同一编号已提交过且内容不同", 413: "请求体超过 2 MB",
             422: "字段校验失败（errors 列出每个字段）"}
    responses = dict(ok)
    for code in (401, 405, 413, *extra):
        responses[str(code)] = {"description": texts[code],
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}
    return responses


def openapi_schema() -> dict:
    order_ref = {"$ref": "#/components/schemas/OrderResult"}
    refund_ref = {"$ref": "#/components/schemas/RefundResult"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Kaipiao 开票集成接口", "version": "1.0",
                 "description": "门店/电商系统推送已付款订单与退款；签名方式见 docs/api.md。"},
        "servers": [{"url": "/"}],
        "security": _signed,
        "paths": {
            "/api/v1/orders": {"post": {
                "summary": "提交一个已付款订单", "operationId": "createOrder",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}},
                "responses": _responses({"201": {"description": "已接收", "content": {"application/json": {"schema": order_ref}}},
                                         "200": {"description": "同一订单已接收过（幂等）", "content": {"application/json": {"schema": order_ref}}}},
                                        400, 409, 422)}},
            "/api/v1/orders/batch": {"post": {
                "summary": f"批量提交订单（≤{MAX_BATCH}）", "operationId": "createOrders",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["orders"],
                    "properties": {"orders": {"type": "array", "maxItems": MAX_BATCH, "items": {"$ref": "#/components/schemas/Order"}}}}}}},
                "responses": _responses({"200": {"description": "逐个订单的结果", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
                        "status": {"type": "integer", "enum": [200, 201, 409, 422]},
                        "order_no": {"type": "string", "nullable": True, "description": "请求中的订单号（不是字符串时为 null）"},
                        "order": order_ref, "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}}}},
                        "summary": {"type": "object"}}}}}}}, 400, 422)}},
            "/api/v1/orders/{order_no}": {"get": {
                "summary": "查询订单及其发票状态", "operationId": "getOrder",
                "parameters": [{"name": "order_no", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": _responses({"200": {"description": "订单", "content": {"application/json": {"schema": order_ref}}}}, 404)}},
            "/api/v1/refunds": {"post": {
                "summary": "提交一笔退款", "operationId": "createRefund",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Refund"}}}},
                "responses": _responses({"201": {"description": "已接收", "content": {"application/json": {"schema": refund_ref}}},
                                         "200": {"description": "同一退款已接收过", "content": {"application/json": {"schema": refund_ref}}}},
                                        400, 404, 409, 422)}},
            "/api/v1/refunds/batch": {"post": {
                "summary": f"批量提交退款（≤{MAX_BATCH}）", "operationId": "createRefunds",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"refunds": {"type": "array", "maxItems": MAX_BATCH,
                                                                  "items": {"$ref": "#/components/schemas/Refund"}}}}}}},
                "responses": _responses({"200": {"description": "逐笔结果", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
                        "status": {"type": "integer", "enum": [200, 201, 404, 409, 422]}, "refund_id": {"type": "string"},
                        "refund": refund_ref,
                        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/Error"}}}}}}}}}}}, 400, 422)}},
        },
        "components": {
            "securitySchemes": {
                "KeyId": {"type": "apiKey", "in": "header", "name": "X-Key-Id"},
                "Timestamp": {"type": "apiKey", "in": "header", "name": "X-Timestamp", "description": "Unix 秒，±300 秒"},
                "Nonce": {"type": "apiKey", "in": "header", "name": "X-Nonce", "description": "16–64 位，10 分钟内不可重复"},
                "Signature": {"type": "apiKey", "in": "header", "name": "X-Signature",
                              "description": "hex HMAC-SHA256(secret, METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(sha256(body)))"},
            },
            "schemas": {
                "Error": _error,
                "ErrorBody": _error_body,
                "Buyer": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string", "maxLength": limits.BUYER_NAME_MAX}, "tax_id": {"type": "string", "maxLength": 20},
                    "is_person": {"type": "boolean"},
                    "address": {"type": "string", "description": f"与 phone 合计 ≤ {limits.BUYER_ADDRESS_PHONE_MAX} 字符"},
                    "phone": {"type": "string"},
                    "bank_name": {"type": "string", "description": f"与 bank_account 合计 ≤ {limits.BUYER_BANK_ACCOUNT_MAX} 字符"},
                    "bank_account": {"type": "string"},
                    "email": {"type": "string", "format": "email", "maxLength": limits.EMAIL_MAX},
                    "mobile": {"type": "string", "pattern": limits.MOBILE.pattern}}, "additionalProperties": False},
                "Line": {"type": "object", "properties": {
                    "sku": {"type": "string", "maxLength": SKU_MAX, "description": "商品目录编码；给出时名称/编码/税率可省略"},
                    "name": {"type": "string", "maxLength": limits.ITEM_NAME_MAX},
                    "tax_code": {"type": "string", "pattern": r"^\d{19}$",
                                 "description": "省略（且无 sku）时按商品名称自动赋码：最高建议的置信度达到公司阈值"
                                                "（auto_code_threshold）且税率确定时采用，否则订单待人工选择编码"},
                    "rate": {**_number, "example": "0.13",
                             "description": "有 tax_code 时必填；无 tax_code 时可省略（取编码唯一税率），但单价不含税时必填"}, "spec": {"type": "string", "maxLength": limits.SPEC_MAX},
                    "unit": {"type": "string", "maxLength": limits.UNIT_MAX},
                    "quantity": _number, "unit_price": _number, "amount": {**_money, "description": "不填数量单价时的行金额"},
                    "price_includes_tax": {"type": "boolean"},
                    "preferential": {"type": "string", "enum": ["", "03", "04"]}}, "additionalProperties": False},
                "Order": {"type": "object", "required": ["order_no", "paid_at", "lines", "total"], "properties": {
                    "order_no": {"type": "string", "pattern": ORDER_NO.pattern},
                    "paid_at": {"type": "string", "format": "date-time"},
                    "invoice_type": {"type": "string", "enum": ["01", "02"], "default": "02"},
                    "buyer": {"$ref": "#/components/schemas/Buyer"},
                    "price_includes_tax": {"type": "boolean", "default": True},
                    "lines": {"type": "array", "minItems": 1, "maxItems": MAX_LINES, "items": {"$ref": "#/components/schemas/Line"}},
                    "total": {**_money, "description": "价税合计，须等于明细合计"},
                    "remark": {"type": "string", "maxLength": limits.REMARK_MAX}}, "additionalProperties": False},
                "Invoice": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["blue", "red"]},
                    "type": {"type": "string"}, "status": {"type": "string",
                                                           "enum": ["draft", "pending", "uploading", "issued", "failed", "cancelled"]},
                    "number": {"type": "string", "nullable": True}, "total_with_tax": _money,
                    "issued_at": {"type": "string", "nullable": True},
                    "failure": {"type": "object", "nullable": True}}},
                "Suggestion": {"type": "object", "properties": {
                    "code": {"type": "string"}, "name": {"type": "string"}, "short_name": {"type": "string"},
                    "rates": {"type": "array", "items": {"type": "string"}, "example": ["0.13"]},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "reason": {"type": "string"},
                    "source": {"type": "string", "enum": ["memory", "history", "matcher"]},
                    "rate": {"type": "string", "nullable": True, "description": "本公司对该编码使用过的税率（记忆或商品目录）"}}},
                "LineCoding": {"type": "object", "description": "未带税收分类编码的明细如何赋码", "properties": {
                    "line_no": {"type": "integer"}, "name": {"type": "string"},
                    "tax_code_status": {"type": "string", "enum": ["auto", "needs_review", "chosen", "deferred"],
                                        "description": "auto 自动赋码；needs_review 等待人工选择；chosen 已人工选择；"
                                                       "deferred 超出单次请求的赋码上限，等待后台任务赋码"},
                    "tax_code": {"type": "string", "nullable": True}, "rate": {"type": "string", "nullable": True},
                    "confidence": {"type": "number", "nullable": True},
                    "suggestions": {"type": "array", "maxItems": 3, "items": {"$ref": "#/components/schemas/Suggestion"}}}},
                "OrderResult": {"type": "object", "properties": {
                    "order_no": {"type": "string"}, "store": {"type": "string"},
                    "status": {"type": "string", "enum": ["received", "invoicing", "awaiting_review", "invoiced",
                                                          "invoice_failed", "refunded", "partly_refunded"],
                               "description": "awaiting_review：等待门店人工开具（含待人工赋码）"},
                    "tax_coding": {"type": "array", "items": {"$ref": "#/components/schemas/LineCoding"}},
                    "total": _money, "paid_at": {"type": "string"}, "received_at": {"type": "string"},
                    "invoices": {"type": "array", "items": {"$ref": "#/components/schemas/Invoice"}},
                    "refunds": {"type": "array", "items": {"type": "object"}}}},
                "RefundResult": {"type": "object", "properties": {
                    "refund_id": {"type": "string"}, "order_no": {"type": "string"}, "amount": _money,
                    "status": {"type": "string", "enum": ["applied", "awaiting_red_letter", "reversed"],
                               "description": "applied 已在未开发票中扣减；awaiting_red_letter 待红冲；reversed 已红冲"},
                    "status_display": {"type": "string"}, "received_at": {"type": "string"}}},
                "Refund": {"type": "object", "required": ["refund_id", "order_no", "refunded_at", "amount"], "properties": {
                    "refund_id": {"type": "string", "pattern": ORDER_NO.pattern},
                    "order_no": {"type": "string", "maxLength": 64},
                    "refunded_at": {"type": "string", "format": "date-time"}, "amount": _money,
                    "reason": {"type": "string", "maxLength": 200},
                    "lines": {"type": "array", "items": {"type": "object", "required": ["line_no", "amount"], "properties": {
                        "line_no": {"type": "integer", "minimum": 1}, "quantity": _number, "amount": _money},
                        "additionalProperties": False}}}, "additionalProperties": False},
            },
        },
    }
