"""Validating API payloads into normalised orders and refunds, collecting every error with its field.

Nothing here writes: ``parse_order`` returns either a ``ParsedOrder`` or the list of errors, so
the service writes only what validated completely.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from itertools import accumulate

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from invoicing.rules import limits
from invoicing.rules.amounts import compute_line, compute_totals, fmt_money, money
from invoicing.rules.clock import SHANGHAI
from invoicing.rules.invoice import PLATFORM_RATES, InvoiceDraft, LineDraft, validate_invoice
from invoicing.taxcodes.coding import DEFERRED_NOTE as waiting_deferred_note
from invoicing.taxcodes.coding import waiting_message
from invoicing.taxcodes.selectors import tax_code_lookup_for

MAX_LINES = 2000  # the platform allows 5,000 per invoice and recommends at most 2,000
MAX_BATCH = 500
SKU_MAX = 64
MAX_AMOUNT = limits.MAX_MONEY
ORDER_NO = re.compile(r"^[A-Za-z0-9_\-.:]{1,64}$")

ORDER_FIELDS = {"order_no", "paid_at", "invoice_type", "buyer", "price_includes_tax", "lines", "total", "remark"}
BUYER_FIELDS = {"name", "tax_id", "is_person", "address", "phone", "bank_name", "bank_account", "email", "mobile"}
LINE_FIELDS = {"sku", "name", "tax_code", "rate", "spec", "unit", "quantity", "unit_price", "amount",
               "price_includes_tax", "preferential"}
REFUND_FIELDS = {"refund_id", "order_no", "refunded_at", "amount", "lines", "reason"}
REFUND_LINE_FIELDS = {"line_no", "quantity", "amount"}
# Draft field (invoicing.rules) → API field.
DRAFT_FIELD_NAMES = {"buyer_name": "buyer.name", "buyer_tax_id": "buyer.tax_id", "buyer_is_person": "buyer.is_person",
                     "kind": "invoice_type", "remark": "remark", "total_amount": "total", "total_tax": "total",
                     "total_with_tax": "total"}


@dataclass
class ApiError:
    code: str
    message: str
    field: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field}


@dataclass
class ParsedOrder:
    order_no: str
    paid_at: datetime
    invoice_type: str
    buyer: dict
    remark: str
    lines: list[dict]
    total_amount: Decimal
    total_tax: Decimal
    total_with_tax: Decimal
    payload_hash: str  # canonical_hash: what the idempotency check compares
    # The hash of the body as written, which rows stored before canonical hashing carry.
    legacy_payload_hash: str = ""
    # One Chinese sentence per line that waits for a person to choose its tax code.
    coding_notes: list[str] = field(default_factory=list)

    def same_content(self, stored_hash: str) -> bool:
        return stored_hash in (self.payload_hash, self.legacy_payload_hash)


@dataclass
class ParsedRefund:
    refund_id: str
    order_no: str
    refunded_at: datetime
    amount: Decimal
    lines: list[dict]
    reason: str
    payload_hash: str  # canonical_hash, as for orders
    legacy_payload_hash: str = ""

    def same_content(self, stored_hash: str) -> bool:
        return stored_hash in (self.payload_hash, self.legacy_payload_hash)


# The deepest real body is {"orders": [{"lines": [{...}]}]}: four levels. json.loads recurses
# once per level and a body of 100,000 "[" ends in RecursionError, so depth is counted first.
MAX_JSON_DEPTH = 8
_JSON_STRING = re.compile(rb'"(?:[^"\\]+|\\.)*"?', re.DOTALL)  # an unclosed string runs to the end: linear
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _DEPTH_STEP)


def json_depth(body: bytes) -> int:
    """How deeply ``body``'s arrays and objects nest, without parsing it (brackets inside strings skipped)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)))


def payload_hash(item) -> str:
    text = json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# Idempotency compares what a body means, not how it is written (issue 13 row 11): a shop that
# re-serialises on retry ("1.0" for "1", the same instant in UTC, other key order, whitespace
# around a name) is sending the same order. Fields the parser reads as numbers or instants are
# compared as such; texts stripped; absent, null and "" are one thing.
_NUMBER_FIELDS = {"rate", "quantity", "unit_price", "amount", "total"}
_MOMENT_FIELDS = {"paid_at", "refunded_at"}
ORDER_DEFAULTS = {"invoice_type": "02", "price_includes_tax": True}


def _canonical_number(value) -> str:
    number = Decimal(value)  # the parser accepted it: an int, a Decimal or a plain number text
    return "0" if number == 0 else format(number.normalize(), "f")


def _canonical(value, name: str = ""):
    if isinstance(value, dict):
        return {key: _canonical(item, key) for key, item in value.items() if item is not None and item != ""}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    if name in _NUMBER_FIELDS and not isinstance(value, bool):
        return _canonical_number(value)
    if name in _MOMENT_FIELDS:
        moment = datetime.fromisoformat(value.strip())
        return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).astimezone(UTC).isoformat()
    return value.strip() if isinstance(value, str) else value


def canonical_hash(item: dict, *, defaults: dict) -> str:
    """``payload_hash`` of a validated body's meaning; ``defaults`` are what an absent field means."""
    return payload_hash({**defaults, **_canonical(item)})


@dataclass
class _Reader:
    prefix: str
    errors: list[ApiError] = field(default_factory=list)

    def path(self, name: str) -> str:
        return f"{self.prefix}{name}" if not self.prefix or name.startswith("[") else f"{self.prefix}.{name}"

    def fail(self, name: str, code: str, message: str) -> None:
        self.errors.append(ApiError(code=code, message=message, field=self.path(name)))

    def unknown(self, obj: dict, allowed: set[str]) -> None:
        for key in obj:
            if key not in allowed:
                shown = key[:40]  # a client may send any key; the answer stays small
                self.fail(shown, "unknown_field", f"不支持的字段 {shown}，请检查拼写（可用字段见接口文档）")

    def text(self, obj: dict, name: str, *, label: str, required: bool = False, max_len: int = 200,
             pattern: re.Pattern | None = None, pattern_hint: str = "") -> str:
        value = obj.get(name)
        if value is None or value == "":
            if required:
                self.fail(name, "required", f"请填写{label}（{name}）")
            return ""
        if not isinstance(value, str):
            self.fail(name, "type_string", f"{label}（{name}）应为字符串")
            return ""
        value = value.strip()
        if len(value) > max_len:
            self.fail(name, "too_long", f"{label}（{name}）最多{max_len}个字符，当前{len(value)}个")
            return ""
        problem = limits.text_problem(value)
        if problem:
            self.fail(name, "bad_character", f"{label}（{name}）{problem}")
            return ""
        if pattern is not None and not pattern.match(value):
            self.fail(name, "format", f"{label}（{name}）格式不正确：{pattern_hint}")
            return ""
        return value

    def boolean(self, obj: dict, name: str, *, label: str, default: bool) -> bool:
        value = obj.get(name, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(name, "type_boolean", f"{label}（{name}）应为 true 或 false")
            return default
        return value

    def decimal(self, obj: dict, name: str, *, label: str, required: bool = False, positive: bool = True,
                places: int = limits.MONEY_PLACES,
                integer_digits: int = limits.MONEY_INTEGER_DIGITS) -> Decimal | None:
        value = obj.get(name)
        if value is None or value == "":
            if required:
                self.fail(name, "required", f"请填写{label}（{name}）")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            self.fail(name, "type_number", f"{label}（{name}）应为数字或数字字符串，例如 \"12.50\"")
            return None
        if isinstance(value, str) and (len(value) > limits.NUMBER_TEXT_MAX or not limits.NUMBER_TEXT.match(value)):
            # Refused, not guessed: "１" (full-width), " 1 ", "1e3", "1,000" (docs/api.md).
            self.fail(name, "type_number", f"{label}（{name}）应为半角数字，不含空格、逗号或指数，例如 \"12.50\"，"
                                           f"当前为 {value[:30]!r}")
            return None
        try:
            number = Decimal(value)  # exact from a string, an int or a Decimal (JSON floats arrive as Decimal)
        except (InvalidOperation, ValueError):
            self.fail(name, "type_number", f"{label}（{name}）不是有效数字")
            return None
        if not number.is_finite():
            self.fail(name, "out_of_range", f"{label}（{name}）不是有限的数字")
            return None
        problem = limits.number_problem(number, integer_digits=integer_digits, places=99)
        if problem:
            self.fail(name, "out_of_range", f"{label}（{name}）超出允许范围：{problem}")
            return None
        if positive and number <= 0:
            self.fail(name, "not_positive", f"{label}（{name}）须大于0，当前为 {number}")
            return None
        if limits.number_problem(number, integer_digits=integer_digits, places=places):
            self.fail(name, "precision", f"{label}（{name}）最多{places}位小数，当前为 {str(number)[:40]}")
            return None
        return number

    def moment(self, obj: dict, name: str, *, label: str) -> datetime | None:
        value = obj.get(name)
        if value is None or value == "":
            self.fail(name, "required", f"请填写{label}（{name}），格式如 2025-06-01T10:30:00+08:00")
            return None
        if not isinstance(value, str):
            self.fail(name, "type_datetime", f"{label}（{name}）应为 ISO 8601 时间字符串，如 2025-06-01T10:30:00+08:00")
            return None
        try:
            parsed = datetime.fromisoformat(value.strip())
            if timezone.is_naive(parsed):
                parsed = parsed.replace(tzinfo=SHANGHAI)
            # In UTC, as stored: "0001-01-01T00:00:00+14:00" is a year before the calendar starts.
            parsed = parsed.astimezone(UTC)
        except ValueError:
            self.fail(name, "type_datetime", f"{label}（{name}）时间格式不正确，应如 2025-06-01T10:30:00+08:00")
            return None
        except OverflowError:  # year 1 or 9999 moved past the calendar's ends by its offset
            early = parsed.year < limits.EARLIEST_PAID_AT.year
            self.fail(name, "too_early" if early else "in_future",
                      f"{label}（{name}）{'不能早于2000-01-01' if early else '不能晚于当前时间'}，当前为 {value.strip()[:40]}")
            return None
        problem = limits.moment_problem(parsed, now=timezone.now())
        if problem:
            code = "too_early" if parsed < limits.EARLIEST_PAID_AT else "in_future"
            self.fail(name, code, f"{label}（{name}）{problem}，当前为 {value.strip()[:40]}")
            return None
        return parsed


def parse_order(item, *, prefix: str = "", products: dict | None = None,
                coder=None) -> ParsedOrder | list[ApiError]:
    """Validate one order object; ``products`` maps SKU → catalogue Product of the company.

    ``coder`` (an ``invoicing.taxcodes.coding.AutoCoder``) codes lines that come with neither a
    tax code nor a SKU; without one such lines are refused, as before.
    """
    r = _Reader(prefix)
    if not isinstance(item, dict):
        r.fail("", "type_object", "订单应为 JSON 对象")
        return r.errors
    r.unknown(item, ORDER_FIELDS)
    order_no = r.text(item, "order_no", label="订单号", required=True, max_len=64, pattern=ORDER_NO,
                      pattern_hint="1–64位字母、数字或 _-.:")
    paid_at = r.moment(item, "paid_at", label="付款时间")
    invoice_type = r.text(item, "invoice_type", label="发票种类", max_len=2) or "02"
    if invoice_type not in ("01", "02"):
        r.fail("invoice_type", "invoice_type_invalid", "发票种类（invoice_type）应为 \"01\"（专票）或 \"02\"（普票）")
    remark = r.text(item, "remark", label="备注", max_len=limits.REMARK_MAX)
    price_includes_tax = r.boolean(item, "price_includes_tax", label="单价是否含税", default=True)

    buyer_raw = item.get("buyer")
    buyer = {"name": "个人", "tax_id": "", "is_person": True}
    if buyer_raw is not None:
        b = _Reader(r.path("buyer"))
        if not isinstance(buyer_raw, dict):
            r.fail("buyer", "type_object", "购买方（buyer）应为 JSON 对象")
        else:
            b.unknown(buyer_raw, BUYER_FIELDS)
            tax_id = b.text(buyer_raw, "tax_id", label="购方税号", max_len=20)
            buyer = {
                "name": b.text(buyer_raw, "name", label="购方名称", required=True, max_len=limits.BUYER_NAME_MAX),
                "tax_id": tax_id,
                "is_person": b.boolean(buyer_raw, "is_person", label="是否自然人", default=not tax_id),
                "address": b.text(buyer_raw, "address", label="购方地址", max_len=limits.BUYER_ADDRESS_PHONE_MAX),
                "phone": b.text(buyer_raw, "phone", label="购方电话", max_len=limits.BUYER_ADDRESS_PHONE_MAX),
                "bank_name": b.text(buyer_raw, "bank_name", label="购方开户行", max_len=limits.BUYER_BANK_ACCOUNT_MAX),
                "bank_account": b.text(buyer_raw, "bank_account", label="购方银行账号",
                                       max_len=limits.BUYER_BANK_ACCOUNT_MAX),
                "email": b.text(buyer_raw, "email", label="收票邮箱", max_len=limits.EMAIL_MAX),
                "mobile": b.text(buyer_raw, "mobile", label="收票手机", max_len=20),
            }
            _check_buyer_contact(b, buyer)
            r.errors += b.errors

    lines_raw = item.get("lines")
    lines: list[dict] = []
    if not isinstance(lines_raw, list) or not lines_raw:
        r.fail("lines", "lines_missing" if not lines_raw else "type_array", "请填写订单明细（lines），至少一行")
    elif len(lines_raw) > MAX_LINES:
        r.fail("lines", "too_many_lines", f"一个订单最多{MAX_LINES}行明细，当前{len(lines_raw)}行，请拆分为多个订单")
    else:
        for index, raw in enumerate(lines_raw):
            line = _parse_line(raw, r, index, products or {}, price_includes_tax, coder)
            if line is not None:
                lines.append(line)
    total = r.decimal(item, "total", label="价税合计", required=True, places=2)
    if r.errors:
        return r.errors

    # A line still without a rate counts its total with tax as amount, no tax, until coded.
    totals = compute_totals((line["amount"], line["tax"] or Decimal(0)) for line in lines)
    if total != totals.with_tax:
        r.fail("total", "total_mismatch",
               f"价税合计（total）{fmt_money(total)} 与明细合计 {fmt_money(totals.with_tax)} 不符，请核对金额")
        return r.errors
    draft = InvoiceDraft(
        kind=invoice_type,
        lines=[LineDraft(name=line["name"], tax_code=line["tax_code"], rate=line["rate"] or Decimal(0),
                         amount=line["amount"], tax=line["tax"] or Decimal(0), quantity=line["quantity"],
                         unit_price=line["unit_price"],
                         spec=line["spec"], unit=line["unit"], preferential=line["preferential"]) for line in lines],
        total_amount=totals.amount, total_tax=totals.tax, total_with_tax=totals.with_tax,
        buyer_name=buyer["name"], buyer_tax_id=buyer["tax_id"], buyer_is_person=buyer["is_person"], remark=remark,
    )
    result = validate_invoice(draft, lookup=tax_code_lookup_for(codes={line.tax_code for line in draft.lines}))
    # A waiting line's code (and with it its rate) is checked when a person chooses it.
    waiting = {f"lines[{i}].{name}" for i, line in enumerate(lines) if not line["tax_code"]
               for name in ("tax_code", "rate", "tax", "preferential")}
    for error in result.errors:
        if error.field in waiting:
            continue
        name = DRAFT_FIELD_NAMES.get(error.field, error.field)
        r.errors.append(ApiError(code=error.code, message=error.message, field=r.path(name)))
    if r.errors:
        return r.errors
    return ParsedOrder(
        order_no=order_no, paid_at=paid_at, invoice_type=invoice_type, buyer=buyer, remark=remark, lines=lines,
        total_amount=totals.amount, total_tax=totals.tax, total_with_tax=totals.with_tax,
        payload_hash=canonical_hash(item, defaults=ORDER_DEFAULTS), legacy_payload_hash=payload_hash(item),
        coding_notes=_coding_notes(lines),
    )


def _coding_notes(lines: list[dict]) -> list[str]:
    """One sentence per line waiting for a person; lines left to the background job in one."""
    notes = [line["tax_code_note"] for line in lines if line.get("tax_code_status") == "needs_review"]
    deferred = [line["line_no"] for line in lines if line.get("tax_code_status") == "deferred"]
    if deferred:
        notes.append(f"第{deferred[0]}–{deferred[-1]}行中{len(deferred)}行{waiting_deferred_note}"
                     if len(deferred) > 1 else f"第{deferred[0]}行{waiting_deferred_note}")
    return notes


def _check_buyer_contact(b: _Reader, buyer: dict) -> None:
    """The platform prints address with phone and bank with account, each pair in one field."""
    for first, second, label, limit in (
        ("address", "phone", "购方地址和电话", limits.BUYER_ADDRESS_PHONE_MAX),
        ("bank_name", "bank_account", "购方开户行和银行账号", limits.BUYER_BANK_ACCOUNT_MAX),
    ):
        length = len(buyer[first]) + len(buyer[second])
        if length > limit:
            b.fail(second, "too_long", f"{label}（{first} + {second}）合计最多{limit}个字符，当前{length}个")
    email = buyer["email"]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            b.fail("email", "email_invalid", f"收票邮箱（email）格式不正确，应如 name@example.com，当前为 {email[:60]}")
    mobile = buyer["mobile"]
    if mobile and not limits.MOBILE.match(mobile):
        b.fail("mobile", "mobile_invalid", "收票手机（mobile）应为11位手机号码（半角数字），如 13800138000")


def _parse_line(raw, r: _Reader, index: int, products: dict, default_includes_tax: bool, coder) -> dict | None:
    lr = _Reader(r.path(f"lines[{index}]"))
    if not isinstance(raw, dict):
        lr.fail("", "type_object", f"第{index + 1}行明细应为 JSON 对象")
        r.errors += lr.errors
        return None
    lr.unknown(raw, LINE_FIELDS)
    sku = lr.text(raw, "sku", label="商品编码", max_len=SKU_MAX)
    product = None
    if sku:
        product = products.get(sku)
        if product is None:
            lr.fail("sku", "unknown_sku", f"商品编码 {sku} 不在本公司商品目录中（或已停售），请先维护商品目录或直接填写名称、税收分类编码和税率")
    name = lr.text(raw, "name", label="项目名称", required=product is None and not sku, max_len=limits.ITEM_NAME_MAX)
    tax_code = lr.text(raw, "tax_code", label="税收分类编码", required=product is None and not sku and coder is None,
                       max_len=19)
    # Without a code the rate may be left out too: it then comes from the code (auto or chosen).
    to_code = product is None and not sku and not tax_code and coder is not None
    rate = lr.decimal(raw, "rate", label="税率", required=product is None and not sku and not to_code,
                      positive=False, places=3)
    if rate is not None and not Decimal(0) <= rate < 1:
        lr.fail("rate", "rate_invalid", f"税率（rate）应为小数形式，如 0.13 表示13%，当前为 {rate}")
        rate = None
    quantity = lr.decimal(raw, "quantity", label="数量", places=limits.PRICE_PLACES,
                          integer_digits=limits.PRICE_INTEGER_DIGITS)
    unit_price = lr.decimal(raw, "unit_price", label="单价", places=limits.PRICE_PLACES,
                            integer_digits=limits.PRICE_INTEGER_DIGITS)
    amount = lr.decimal(raw, "amount", label="金额", places=2)
    includes_tax = lr.boolean(raw, "price_includes_tax", label="单价是否含税",
                              default=product.price_includes_tax if product and "price_includes_tax" not in raw
                              else default_includes_tax)
    preferential = lr.text(raw, "preferential", label="优惠政策标识", max_len=2)
    if preferential not in ("", "03", "04"):
        lr.fail("preferential", "preferential_invalid", "优惠政策标识（preferential）只能为空、\"03\"（免税）或 \"04\"（不征税）")
    spec = lr.text(raw, "spec", label="规格型号", max_len=limits.SPEC_MAX)
    unit = lr.text(raw, "unit", label="单位", max_len=limits.UNIT_MAX)
    if product is not None:
        name = name or product.name
        tax_code = tax_code or product.tax_code
        rate = rate if rate is not None else product.rate
        spec = spec or product.spec
        unit = unit or product.unit
        if unit_price is None and quantity is not None:
            unit_price = product.price
    if quantity is None and unit_price is not None:
        lr.fail("quantity", "quantity_required", "填写了单价（unit_price）时须同时填写数量（quantity）")
    if quantity is not None and unit_price is not None and quantity * unit_price > MAX_AMOUNT:
        # Checked before any rounding: quantize() past Decimal's 28 digits raises InvalidOperation.
        lr.fail("unit_price", "out_of_range", f"数量×单价超出金额上限 {fmt_money(MAX_AMOUNT)}，请核对数量（quantity）和单价（unit_price）")
    if to_code and rate is not None and rate not in PLATFORM_RATES:
        lr.fail("rate", "rate_invalid", f"税率（rate）{rate} 不是有效税率（可用0.13、0.09、0.06、0.05、0.03、0.015、0.01、0）")
    if to_code and rate is None and not includes_tax:
        # The total with tax must be certain on receipt, whatever code the line gets later.
        lr.fail("rate", "rate_required",
                "未填写税收分类编码（tax_code）的明细，单价不含税时须填写税率（rate）；或改为含税价（price_includes_tax: true）")
    if amount is None and (quantity is None or unit_price is None):
        lr.fail("amount", "amount_required", "请填写金额（amount），或同时填写数量（quantity）和单价（unit_price）")
    if lr.errors or (rate is None and not to_code):
        r.errors += lr.errors
        return None
    coding = {}
    if to_code:
        decision = coder.decide(name=name, rate=rate, preferential=preferential)
        status = "auto" if decision.code else "deferred" if decision.deferred else "needs_review"
        coding = {"tax_code_status": status, "rate_given": rate is not None,
                  "tax_code_confidence": decision.confidence, "tax_code_match": decision.match_source,
                  "tax_code_suggestions": decision.suggestions}
        if decision.code:
            tax_code, rate = decision.code, decision.rate
        else:
            coding["tax_code_note"] = waiting_message(line_no=index + 1, name=name, note=decision.note)
    # Without a rate (waiting for a code) the figures stay with tax: split when the code is chosen.
    figures = compute_line(rate=Decimal(0) if rate is None else rate, quantity=quantity, price=unit_price,
                           amount=None if quantity is not None else amount, price_includes_tax=includes_tax)
    if amount is not None and quantity is not None and money(quantity * unit_price) != amount:
        lr.fail("amount", "line_amount_mismatch",
                f"金额（amount）{fmt_money(amount)} 与数量×单价 {fmt_money(quantity * unit_price)} 不符")
        r.errors += lr.errors
        return None
    return {
        "line_no": index + 1, "sku": sku, "name": name, "tax_code": tax_code, "rate": rate, "spec": spec,
        "unit": unit, "quantity": figures.quantity, "unit_price": figures.unit_price, "amount": figures.amount,
        "tax": None if rate is None else figures.tax, "with_tax": figures.amount + figures.tax,
        "preferential": preferential, "entered_price": unit_price, "price_includes_tax": includes_tax, **coding,
    }


def parse_refund(item, *, prefix: str = "") -> ParsedRefund | list[ApiError]:
    r = _Reader(prefix)
    if not isinstance(item, dict):
        r.fail("", "type_object", "退款应为 JSON 对象")
        return r.errors
    r.unknown(item, REFUND_FIELDS)
    refund_id = r.text(item, "refund_id", label="退款单号", required=True, max_len=64, pattern=ORDER_NO,
                       pattern_hint="1–64位字母、数字或 _-.:")
    order_no = r.text(item, "order_no", label="订单号", required=True, max_len=64)
    refunded_at = r.moment(item, "refunded_at", label="退款时间")
    amount = r.decimal(item, "amount", label="退款金额（含税）", required=True, places=2)
    reason = r.text(item, "reason", label="退款原因", max_len=200)
    lines = []
    raw_lines = item.get("lines")
    if raw_lines is not None:
        if not isinstance(raw_lines, list):
            r.fail("lines", "type_array", "退款明细（lines）应为数组")
        else:
            for index, raw in enumerate(raw_lines):
                lr = _Reader(r.path(f"lines[{index}]"))
                if not isinstance(raw, dict):
                    lr.fail("", "type_object", f"第{index + 1}行退款明细应为 JSON 对象")
                else:
                    lr.unknown(raw, REFUND_LINE_FIELDS)
                    line_no = raw.get("line_no")
                    if not isinstance(line_no, int) or isinstance(line_no, bool) or line_no < 1:
                        lr.fail("line_no", "type_integer", "退款明细的行号（line_no）应为从1开始的整数")
                    quantity = lr.decimal(raw, "quantity", label="退货数量", places=limits.PRICE_PLACES,
                                          integer_digits=limits.PRICE_INTEGER_DIGITS)
                    line_amount = lr.decimal(raw, "amount", label="退款金额", required=True, places=2)
                    if not lr.errors:
                        lines.append({"line_no": line_no, "quantity": quantity, "amount": line_amount})
                r.errors += lr.errors
    if not r.errors and lines and sum((line["amount"] for line in lines), Decimal(0)) != amount:
        r.fail("amount", "refund_amount_mismatch", "退款金额（amount）须等于各退款明细金额之和")
    if r.errors:
        return r.errors
    return ParsedRefund(refund_id=refund_id, order_no=order_no, refunded_at=refunded_at, amount=amount,
                        lines=lines, reason=reason, payload_hash=canonical_hash(item, defaults={}),
                        legacy_payload_hash=payload_hash(item))
