"""Every RULES.md check on an invoice draft, as pure functions over plain dataclasses.

The pipeline, the store form and the integration API build an ``InvoiceDraft`` and call
``validate_invoice``; nothing here touches the database. Tax-code facts come from a lookup
function (the official table by default; the pipeline may pass one backed by the TaxCode rows
kept current from the platform).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from invoicing.rules import platform_fields
from invoicing.rules.amounts import (
    LINE_AMOUNT_TOLERANCE,
    LINE_TAX_TOLERANCE,
    TOTAL_AMOUNT_TOLERANCE,
    TOTAL_TAX_TOLERANCE,
    fmt_money,
    fmt_number,
    fmt_rate,
    money,
)
from invoicing.rules.errors import WARNING, RuleError, RuleResult
from invoicing.rules.taxid import check_taxpayer_id
from invoicing.taxcodes.table import get_code

SPECIAL = "01"  # 增值税专用发票 (专票)
ORDINARY = "02"  # 普通发票 (普票)
KIND_NAMES = {SPECIAL: "专票", ORDINARY: "普票"}

NORMAL_LINE = "00"
DISCOUNT_LINE = "01"  # 折扣行
DISCOUNTED_LINE = "02"  # 被折扣行

TAX_FREE = "03"  # 免税
NOT_TAXABLE = "04"  # 不征税
ZERO_TAX_FLAGS = {TAX_FREE: "免税", NOT_TAXABLE: "不征税"}

# The rates the platform knows at all (CXKYSL); a code's family narrows them further.
PLATFORM_RATES = tuple(Decimal(r) for r in ("0.13", "0.09", "0.06", "0.05", "0.03", "0.015", "0.01", "0"))
# (value, label) for a rate <select>: "0.13" → "13%".
RATE_CHOICES = [(str(rate), fmt_rate(rate)) for rate in PLATFORM_RATES]
MAX_LINES = 5000
MAX_REMARK_BLUE = platform_fields.REMARK_BLUE_MAX
MAX_REMARK_RED = platform_fields.REMARK_RED_MAX
NUMBER_PATTERN = re.compile(r"^\d{20}$")
TAX_CODE_PATTERN = re.compile(r"^\d{19}$")

# Our field names → the platform's (the payload's pinyin names live here and in taxapi only).
LINE_FIELDS = {
    "name": "xmmc",
    "tax_code": "sphfwssflhbbm",
    "spec": "ggxh",
    "unit": "dw",
    "quantity": "sl",
    "unit_price": "dj",
    "amount": "je",
    "rate": "slv",
    "tax": "se",
    "kind": "fphxz",
    "preferential": "yhzcbs",
}
INVOICE_FIELDS = {
    "kind": "fppz",
    "number": "fphm",
    "buyer_tax_id": "gmfnsrsbh",
    "buyer_name": "gmfmc",
    "buyer_is_person": "gmfzrrbz",
    "total_amount": "hjje",
    "total_tax": "hjse",
    "total_with_tax": "jshj",
    "remark": "bz",
    "lines": "fpmxList",
}
LINE_LABELS = {
    "name": "项目名称",
    "tax_code": "税收分类编码",
    "spec": "规格型号",
    "unit": "单位",
    "quantity": "数量",
    "unit_price": "单价",
    "amount": "金额",
    "rate": "税率",
    "tax": "税额",
}


@dataclass
class LineDraft:
    """One invoice line (明细行). Money and rates are Decimals; quantity and price may be empty."""

    name: str
    tax_code: str
    rate: Decimal
    amount: Decimal
    tax: Decimal
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    spec: str = ""
    unit: str = ""
    kind: str = NORMAL_LINE
    preferential: str = ""


@dataclass
class InvoiceDraft:
    kind: str  # fppz: SPECIAL or ORDINARY
    lines: list[LineDraft]
    total_amount: Decimal
    total_tax: Decimal
    total_with_tax: Decimal
    is_red: bool = False
    buyer_name: str = ""
    buyer_tax_id: str = ""
    buyer_is_person: bool = False
    remark: str = ""
    number: str = ""  # empty until a number is assigned from a block
    issue_year: int | None = None  # the issue date's year (Shanghai), once the invoice has one


@dataclass(frozen=True)
class TaxCodeFacts:
    """What the checks need to know about a tax code (see invoicing.taxcodes.table.CodeInfo)."""

    is_summary: bool
    rates: tuple[Decimal, ...]
    preferential: tuple[str, ...]


CodeLookup = Callable[[str], "TaxCodeFacts | None"]


def _table_lookup(code: str):
    return get_code(code)


def line_error(index: int, name: str, code: str, message: str, severity: str = "error") -> RuleError:
    return RuleError(
        code=code,
        field=f"lines[{index}].{name}",
        platform_field=f"fpmxList[{index}].{LINE_FIELDS[name]}",
        message=f"第{index + 1}行：{message}",
        severity=severity,
    )


def invoice_error(name: str, code: str, message: str, severity: str = "error") -> RuleError:
    return RuleError(code=code, field=name, platform_field=INVOICE_FIELDS[name], message=message, severity=severity)


# --- lines -------------------------------------------------------------------------------


def check_line_amounts(line: LineDraft, index: int) -> list[RuleError]:
    """Quantity and price both or neither; unit price × quantity = amount (±0.01)."""
    if (line.quantity is None) != (line.unit_price is None):
        missing = "unit_price" if line.unit_price is None else "quantity"
        return [
            line_error(
                index,
                missing,
                "quantity_price_pairing",
                "数量和单价须同时填写或同时为空，请补填" + LINE_LABELS[missing] + "或清空另一项",
            )
        ]
    if line.quantity is None:
        return []
    product = line.unit_price * line.quantity
    if abs(product - line.amount) > LINE_AMOUNT_TOLERANCE:
        return [
            line_error(
                index,
                "amount",
                "line_amount_mismatch",
                f"金额 {fmt_money(line.amount)} 与 单价×数量 {fmt_money(product)} 不符（允许误差{LINE_AMOUNT_TOLERANCE}）",
            )
        ]
    return []


def check_line_tax(line: LineDraft, index: int) -> list[RuleError]:
    """Tax = amount × rate (±0.06)."""
    expected = line.amount * line.rate
    if abs(expected - line.tax) > LINE_TAX_TOLERANCE:
        return [
            line_error(
                index,
                "tax",
                "line_tax_mismatch",
                f"税额 {fmt_money(line.tax)} 与 金额×税率 {fmt_money(expected)} 不符（允许误差{LINE_TAX_TOLERANCE}），"
                f"请改为 {fmt_money(expected)}",
            )
        ]
    return []


def check_line_signs(line: LineDraft, index: int, *, is_red: bool) -> list[RuleError]:
    """Blue lines positive, red lines negative amount and quantity; unit price always positive.

    Discount lines are the exception: their amount has the opposite sign (checked with the
    discount rules).
    """
    errors = []
    if line.unit_price is not None and line.unit_price <= 0:
        errors.append(
            line_error(index, "unit_price", "unit_price_sign", f"单价 {fmt_number(line.unit_price)} 须为正数")
        )
    if line.kind == DISCOUNT_LINE:
        return errors
    if is_red:
        if line.amount >= 0:
            errors.append(
                line_error(index, "amount", "amount_sign", f"红字发票金额须为负数，当前为 {fmt_money(line.amount)}")
            )
        if line.quantity is not None and line.quantity >= 0:
            errors.append(
                line_error(
                    index, "quantity", "quantity_sign", f"红字发票数量须为负数，当前为 {fmt_number(line.quantity)}"
                )
            )
        if line.tax > 0:
            errors.append(line_error(index, "tax", "tax_sign", f"红字发票税额不得为正数，当前为 {fmt_money(line.tax)}"))
    else:
        if line.amount <= 0:
            errors.append(
                line_error(index, "amount", "amount_sign", f"蓝字发票金额须为正数，当前为 {fmt_money(line.amount)}")
            )
        if line.quantity is not None and line.quantity <= 0:
            errors.append(
                line_error(
                    index, "quantity", "quantity_sign", f"蓝字发票数量须为正数，当前为 {fmt_number(line.quantity)}"
                )
            )
        if line.tax < 0:
            errors.append(line_error(index, "tax", "tax_sign", f"蓝字发票税额不得为负数，当前为 {fmt_money(line.tax)}"))
    return errors


def check_line_tax_code(line: LineDraft, index: int, *, lookup: CodeLookup = _table_lookup) -> list[RuleError]:
    """A 19-digit code from the table, not a summary code; a rate and flag the code allows."""
    errors = []
    if not TAX_CODE_PATTERN.match(line.tax_code or ""):
        return [
            line_error(
                index,
                "tax_code",
                "tax_code_format",
                f"税收分类编码应为19位数字，当前为“{line.tax_code}”，请重新选择编码",
            )
        ]
    facts = lookup(line.tax_code)
    if facts is None:
        return [
            line_error(
                index,
                "tax_code",
                "tax_code_unknown",
                f"税收分类编码 {line.tax_code} 不在税收分类编码表中，请重新选择编码",
            )
        ]
    if facts.is_summary:
        errors.append(
            line_error(
                index,
                "tax_code",
                "tax_code_summary",
                f"税收分类编码 {line.tax_code} 是汇总项，不能用于开票，请选择其下级明细编码",
            )
        )
    if line.preferential:
        if line.preferential not in ZERO_TAX_FLAGS:
            errors.append(
                line_error(
                    index,
                    "preferential",
                    "preferential_invalid",
                    f"优惠政策标识应为空、03（免税）或04（不征税），当前为 {line.preferential}",
                )
            )
            return errors
        if line.preferential not in facts.preferential:
            errors.append(
                line_error(
                    index,
                    "preferential",
                    "preferential_not_allowed",
                    f"该税收分类编码不适用{ZERO_TAX_FLAGS[line.preferential]}（{line.preferential}），请清除优惠政策标识或更换编码",
                )
            )
        if line.rate != 0:
            errors.append(
                line_error(
                    index,
                    "rate",
                    "preferential_rate_not_zero",
                    f"{ZERO_TAX_FLAGS[line.preferential]}项目税率须为0，当前为 {fmt_rate(line.rate)}",
                )
            )
        if line.tax != 0:
            errors.append(
                line_error(
                    index,
                    "tax",
                    "preferential_tax_not_zero",
                    f"{ZERO_TAX_FLAGS[line.preferential]}项目税额须为0，当前为 {fmt_money(line.tax)}",
                )
            )
        return errors
    if line.rate not in PLATFORM_RATES:
        errors.append(
            line_error(
                index,
                "rate",
                "rate_invalid",
                f"税率 {fmt_rate(line.rate)} 不是有效税率（可用13%、9%、6%、5%、3%、1.5%、1%、0%）",
            )
        )
    elif line.rate not in facts.rates:
        allowed = "、".join(fmt_rate(rate) for rate in facts.rates) or "无"
        errors.append(
            line_error(
                index,
                "rate",
                "rate_not_allowed",
                f"税率 {fmt_rate(line.rate)} 不适用于税收分类编码 {line.tax_code}，可选：{allowed}",
            )
        )
    return errors


def check_discounts(lines: list[LineDraft]) -> list[RuleError]:
    """A discount line right after its discounted line, copying name, code and rate, without
    spec/unit/quantity/price, with the opposite sign and no more than the discounted amount."""
    errors = []
    for index, line in enumerate(lines):
        if line.kind not in (NORMAL_LINE, DISCOUNT_LINE, DISCOUNTED_LINE):
            errors.append(
                line_error(
                    index,
                    "kind",
                    "line_kind_invalid",
                    f"发票行性质应为00（正常行）、01（折扣行）或02（被折扣行），当前为 {line.kind}",
                )
            )
            continue
        following = lines[index + 1] if index + 1 < len(lines) else None
        if line.kind == DISCOUNTED_LINE and (following is None or following.kind != DISCOUNT_LINE):
            errors.append(
                line_error(
                    index, "kind", "discount_line_missing", "被折扣行之后须紧跟一行折扣行，请添加折扣行或改为正常行"
                )
            )
        if line.kind != DISCOUNT_LINE:
            continue
        discounted = lines[index - 1] if index > 0 else None
        if discounted is None or discounted.kind != DISCOUNTED_LINE:
            errors.append(
                line_error(
                    index,
                    "kind",
                    "discount_without_discounted_line",
                    "折扣行须紧跟在被折扣行之后，且上一行应标为被折扣行",
                )
            )
            continue
        for name in ("name", "tax_code", "rate"):
            if getattr(line, name) != getattr(discounted, name):
                errors.append(
                    line_error(
                        index,
                        name,
                        "discount_line_mismatch",
                        f"折扣行的{LINE_LABELS[name]}须与第{index}行（被折扣行）一致",
                    )
                )
        for name in ("spec", "unit", "quantity", "unit_price"):
            if getattr(line, name) not in (None, ""):
                errors.append(
                    line_error(index, name, "discount_line_field_not_empty", f"折扣行不填{LINE_LABELS[name]}，请清空")
                )
        if discounted.amount == 0 or (line.amount > 0) == (discounted.amount > 0) or line.amount == 0:
            errors.append(
                line_error(
                    index,
                    "amount",
                    "discount_amount_sign",
                    f"折扣行金额须与被折扣行符号相反（蓝字发票为负数），当前为 {fmt_money(line.amount)}",
                )
            )
        elif abs(line.amount) > abs(discounted.amount):
            errors.append(
                line_error(
                    index,
                    "amount",
                    "discount_exceeds_line",
                    f"折扣金额 {fmt_money(abs(line.amount))} 超过被折扣行金额 {fmt_money(abs(discounted.amount))}，请减少折扣",
                )
            )
    return errors


# --- invoice -----------------------------------------------------------------------------


def check_totals(draft: InvoiceDraft) -> list[RuleError]:
    """Σ amounts (±0.01), Σ(amount × rate) (±1.27), amount + tax = total with tax (exactly)."""
    errors = []
    sum_amounts = sum((line.amount for line in draft.lines), Decimal(0))
    if abs(sum_amounts - draft.total_amount) > TOTAL_AMOUNT_TOLERANCE:
        errors.append(
            invoice_error(
                "total_amount",
                "total_amount_mismatch",
                f"合计金额 {fmt_money(draft.total_amount)} 与各行金额之和 {fmt_money(sum_amounts)} 不符（允许误差{TOTAL_AMOUNT_TOLERANCE}），"
                f"请改为 {fmt_money(sum_amounts)}",
            )
        )
    expected_tax = sum((line.amount * line.rate for line in draft.lines), Decimal(0))
    if abs(expected_tax - draft.total_tax) > TOTAL_TAX_TOLERANCE:
        errors.append(
            invoice_error(
                "total_tax",
                "total_tax_mismatch",
                f"合计税额 {fmt_money(draft.total_tax)} 与各行金额×税率之和 {fmt_money(expected_tax)} 不符（允许误差{TOTAL_TAX_TOLERANCE}），"
                "请按各行税额重新合计",
            )
        )
    if draft.total_amount + draft.total_tax != draft.total_with_tax:
        errors.append(
            invoice_error(
                "total_with_tax",
                "total_identity_mismatch",
                f"价税合计 {fmt_money(draft.total_with_tax)} 应等于合计金额 {fmt_money(draft.total_amount)} + 合计税额 "
                f"{fmt_money(draft.total_tax)} = {fmt_money(draft.total_amount + draft.total_tax)}",
            )
        )
    sign_wrong = draft.total_with_tax >= 0 if draft.is_red else draft.total_with_tax <= 0
    if sign_wrong:
        errors.append(
            invoice_error(
                "total_with_tax",
                "total_sign",
                ("红字发票价税合计须为负数" if draft.is_red else "蓝字发票价税合计须为正数")
                + f"，当前为 {fmt_money(draft.total_with_tax)}",
            )
        )
    for name in ("total_amount", "total_tax", "total_with_tax"):
        value = getattr(draft, name)
        if value != money(value):
            errors.append(
                invoice_error(name, "money_precision", f"{_TOTAL_LABELS[name]}须精确到分（两位小数），当前为 {value}")
            )
    return errors


_TOTAL_LABELS = {"total_amount": "合计金额", "total_tax": "合计税额", "total_with_tax": "价税合计"}


def check_buyer(draft: InvoiceDraft) -> list[RuleError]:
    """Buyer name always; buyer tax id required on 专票, and checked wherever it is given."""
    errors = []
    if not draft.buyer_name.strip():
        errors.append(invoice_error("buyer_name", "buyer_name_required", "请填写购买方名称"))
    if draft.kind == SPECIAL and draft.buyer_is_person:
        errors.append(
            invoice_error(
                "buyer_is_person", "special_invoice_to_person", "专票不能开给自然人，请改开普票或填写购买方单位信息"
            )
        )
    if not draft.buyer_tax_id:
        if draft.kind == SPECIAL:
            errors.append(invoice_error("buyer_tax_id", "buyer_tax_id_required", "开具专票须填写购买方纳税人识别号"))
        return errors
    check = check_taxpayer_id(draft.buyer_tax_id)
    for message in check.errors:
        errors.append(invoice_error("buyer_tax_id", "buyer_tax_id_invalid", f"购方税号有误：{message}"))
    for message in check.warnings:
        errors.append(
            invoice_error("buyer_tax_id", "buyer_tax_id_warning", f"购方税号提示：{message}", severity=WARNING)
        )
    return errors


def check_remark(draft: InvoiceDraft) -> list[RuleError]:
    limit = MAX_REMARK_RED if draft.is_red else MAX_REMARK_BLUE
    if len(draft.remark) > limit:
        kind = "红字" if draft.is_red else "蓝字"
        return [
            invoice_error(
                "remark",
                "remark_too_long",
                f"备注最多{limit}个字（{kind}发票），当前{len(draft.remark)}个字，请删减{len(draft.remark) - limit}个字",
            )
        ]
    return []


def check_invoice_number(number: str, *, year: int | None = None, province: str | None = None) -> list[RuleError]:
    """20 digits: YY, province (2), channel 7 (乐企), access mode 0/1/2, 14-digit sequence."""
    if not NUMBER_PATTERN.match(number or ""):
        return [invoice_error("number", "invoice_number_format", f"发票号码应为20位数字，当前为“{number}”")]
    errors = []
    if number[4] != "7":
        errors.append(
            invoice_error("number", "invoice_number_channel", f"发票号码第5位应为7（乐企渠道），当前为 {number[4]}")
        )
    if number[5] not in "012":
        errors.append(
            invoice_error(
                "number", "invoice_number_access_mode", f"发票号码第6位应为0、1或2（接入方式），当前为 {number[5]}"
            )
        )
    if year is not None and number[:2] != f"{year % 100:02d}":
        errors.append(
            invoice_error(
                "number", "invoice_number_year", f"发票号码前两位 {number[:2]} 与开票年份 {year} 不符，不得跨年使用号码"
            )
        )
    if province is not None and number[2:4] != province:
        errors.append(
            invoice_error(
                "number", "invoice_number_province", f"发票号码第3–4位 {number[2:4]} 与销方所在地 {province} 不符"
            )
        )
    return errors


def validate_invoice(draft: InvoiceDraft, *, lookup: CodeLookup = _table_lookup) -> RuleResult:
    """All checks of RULES.md on a draft; ``result.ok`` when it may be uploaded."""
    result = RuleResult()
    if draft.kind not in KIND_NAMES:
        result.add(
            invoice_error("kind", "invoice_kind_invalid", f"发票种类应为01（专票）或02（普票），当前为 {draft.kind}")
        )
    if not draft.lines:
        result.add(invoice_error("lines", "lines_missing", "发票至少须有一行明细，请添加商品或服务"))
    elif len(draft.lines) > MAX_LINES:
        result.add(
            invoice_error(
                "lines", "too_many_lines", f"一张发票最多{MAX_LINES}行明细，当前{len(draft.lines)}行，请拆分开具"
            )
        )
    for index, line in enumerate(draft.lines):
        if not line.name.strip():
            result.add(line_error(index, "name", "line_name_required", "请填写项目名称"))
        for name in ("amount", "tax"):
            value = getattr(line, name)
            if value != money(value):
                result.add(
                    line_error(
                        index, name, "money_precision", f"{LINE_LABELS[name]}须精确到分（两位小数），当前为 {value}"
                    )
                )
        result.extend(check_line_signs(line, index, is_red=draft.is_red))
        result.extend(check_line_amounts(line, index))
        result.extend(check_line_tax(line, index))
        result.extend(check_line_tax_code(line, index, lookup=lookup))
    result.extend(check_discounts(draft.lines))
    if draft.lines:
        result.extend(check_totals(draft))
    result.extend(check_buyer(draft))
    result.extend(check_remark(draft))
    if draft.number:
        # A number is never used across a year: its first two digits are the issue date's year.
        result.extend(check_invoice_number(draft.number, year=draft.issue_year))
    return result
