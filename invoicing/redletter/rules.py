"""The red-letter rules of RULES.md as pure functions: which lines, how much, with which reason.

Nothing here touches the database or the platform; the services pass in the blue lines with what
is left on each (computed under a lock) and get back the red lines or the Chinese reasons why not.
The platform checks the same rules again (the sandbox with its own code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from invoicing.rules.amounts import fmt_money, fmt_number, money, tax_for, unit_price

REASONS = {"01": "开票有误", "02": "销货退回", "03": "服务中止", "04": "销售折让"}
SPECIAL = "01"  # 增值税专用发票
ZERO = Decimal("0")


class RedLetterRuleError(Exception):
    """One or more rules refused the request; ``messages`` are Chinese sentences saying what to fix."""

    def __init__(self, messages: list[str], code: str = "red_rule"):
        super().__init__("；".join(messages))
        self.messages = messages
        self.code = code

    @property
    def message(self) -> str:
        return "；".join(self.messages)


@dataclass(frozen=True)
class BlueLine:
    """A blue line as reversal sees it: its figures and what forms not yet void leave of them."""

    line_no: int
    name: str
    tax_code: str
    rate: Decimal
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    tax: Decimal
    remaining_amount: Decimal
    remaining_tax: Decimal
    remaining_quantity: Decimal | None


@dataclass(frozen=True)
class Requested:
    """What the user (or a refund) asks to reverse on one blue line: positive quantity and/or amount (excl. tax)."""

    line_no: int
    quantity: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class RedLine:
    """A line of the form and of the red invoice: quantity and amounts negative, unit price positive."""

    line_no: int
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal
    tax: Decimal


@dataclass
class Plan:
    lines: list[RedLine] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), Decimal("0.00"))


def reason_label(code: str) -> str:
    return f"{code} {REASONS.get(code, '')}".strip()


def check_reason_for_code(reason: str, *, tax_code: str, line_no: int, name: str) -> str | None:
    """02 not for services (codes starting with 3); 03 not for goods and labour (codes starting with 1 or 2)."""
    if reason == "02" and tax_code.startswith("3"):
        return (f"第{line_no}行「{name}」是服务类税收分类编码（{tax_code}），不能以销货退回（02）红冲；"
                "请选择服务中止（03）或开票有误（01）")
    if reason == "03" and tax_code[:1] in ("1", "2"):
        return (f"第{line_no}行「{name}」是货物或劳务类税收分类编码（{tax_code}），不能以服务中止（03）红冲；"
                "请选择销货退回（02）或开票有误（01）")
    return None


def check_red_invoice_type(*, blue_type: str, red_type: str) -> None:
    """A 专票 is reversed only by a red 专票 (and a 普票 by a 普票)."""
    if blue_type == SPECIAL and red_type != SPECIAL:
        raise RedLetterRuleError(["增值税专用发票只能以红字增值税专用发票红冲，请将红字发票的票种设为专票"], "red_type")
    if blue_type != SPECIAL and red_type == SPECIAL:
        raise RedLetterRuleError(["普通发票只能以红字普通发票红冲，红字发票的票种须与蓝字发票一致"], "red_type")


def full_request(blue_lines: list[BlueLine], *, reason: str) -> list[Requested]:
    """Everything still left on every line (quantities too, except for 04 which has none)."""
    requested = []
    for line in blue_lines:
        if line.remaining_amount <= ZERO:
            continue
        quantity = line.remaining_quantity if reason != "04" and line.unit_price is not None else None
        requested.append(Requested(line_no=line.line_no, quantity=quantity or None, amount=line.remaining_amount))
    return requested


def plan_reversal(*, reason: str, blue_lines: list[BlueLine], requested: list[Requested], full: bool,
                  margin_taxed: bool = False, reversed_before: bool = False) -> Plan:
    """The red lines for a request, or ``RedLetterRuleError`` with every reason it cannot be made."""
    errors: list[str] = []
    if reason not in REASONS:
        raise RedLetterRuleError(["请选择红冲原因：01开票有误、02销货退回、03服务中止或04销售折让"], "red_reason")
    if margin_taxed and (not full or reversed_before):
        raise RedLetterRuleError(["差额征税发票只能全额红冲（且只能红冲一次），不能部分红冲；请选择全额红冲"],
                                 "red_margin_full_only")
    if full:
        requested = full_request(blue_lines, reason=reason)
        if not requested:
            raise RedLetterRuleError(["该蓝字发票已全额红冲，或剩余金额已被待处理的红字确认单占用，没有可红冲的金额"],
                                     "red_nothing_left")
    requested = [r for r in requested if r.quantity or r.amount]
    if not requested:
        raise RedLetterRuleError(["请至少选择一行，并填写红冲数量或金额"], "red_no_lines")
    by_no = {line.line_no: line for line in blue_lines}
    seen: set[int] = set()
    plan = Plan()
    for want in requested:
        blue = by_no.get(want.line_no)
        if blue is None:
            errors.append(f"蓝字发票没有第{want.line_no}行")
            continue
        if want.line_no in seen:
            errors.append(f"第{want.line_no}行重复填写，每行只能填写一次")
            continue
        seen.add(want.line_no)
        error = check_reason_for_code(reason, tax_code=blue.tax_code, line_no=blue.line_no, name=blue.name)
        if error:
            errors.append(error)
            continue
        line, line_errors = _plan_line(reason, blue, want)
        errors += line_errors
        if line is not None:
            plan.lines.append(line)
    if errors:
        raise RedLetterRuleError(errors)
    if margin_taxed and any(-line.amount != blue.amount for line in plan.lines for blue in blue_lines
                            if blue.line_no == line.line_no):
        raise RedLetterRuleError(["差额征税发票只能全额红冲（且只能红冲一次），不能部分红冲；请选择全额红冲"],
                                 "red_margin_full_only")
    return plan


def _plan_line(reason: str, blue: BlueLine, want: Requested) -> tuple[RedLine | None, list[str]]:
    n, errors = blue.line_no, []
    quantity, amount = want.quantity, want.amount
    if quantity is not None and quantity <= ZERO:
        return None, [f"第{n}行红冲数量须大于0"]
    if amount is not None and money(amount) <= ZERO:
        return None, [f"第{n}行红冲金额须大于0"]
    if reason == "04":
        if quantity is not None:
            return None, [f"销售折让（04）只能按金额红冲，第{n}行的数量和单价须为空，请只填写金额"]
        if amount is None:
            return None, [f"销售折让（04）请填写第{n}行的折让金额"]
    if reason == "02" and quantity is None:
        return None, [f"销货退回（02）只能变更数量：请填写第{n}行的退回数量（单价与蓝字发票一致，金额按数量计算）"]
    if quantity is not None and blue.unit_price is None:
        return None, [f"第{n}行蓝字发票没有数量和单价，不能按数量红冲；请只填写金额（可选择开票有误或销售折让）"]

    price = None
    if quantity is not None:
        price = blue.unit_price
        if blue.remaining_quantity is not None and quantity > blue.remaining_quantity:
            errors.append(f"第{n}行红冲数量 {fmt_number(quantity)} 超过该行剩余可红冲数量 "
                          f"{fmt_number(blue.remaining_quantity)}")
        # The unit price never changes: the amount follows from the quantity (the last units take the rest,
        # so that rounding never leaves a cent behind or takes one too many).
        computed = (blue.remaining_amount if blue.remaining_quantity is not None and quantity == blue.remaining_quantity
                    else money(quantity * price))
        if amount is not None and abs(money(amount) - computed) > Decimal("0.01"):
            label = REASONS[reason]
            errors.append(f"{label}（{reason}）不能变更单价：第{n}行金额应为 数量×单价 = {fmt_money(computed)}，"
                          f"填写的是 {fmt_money(amount)}；请只填写数量")
        amount = computed
    amount = money(amount)
    if amount > blue.remaining_amount:
        errors.append(f"第{n}行红冲金额 {fmt_money(amount)} 超过该行剩余可红冲金额 {fmt_money(blue.remaining_amount)}")
    if errors:
        return None, errors
    tax = blue.remaining_tax if amount == blue.remaining_amount else tax_for(amount, blue.rate)
    return RedLine(line_no=n, quantity=-unit_price(quantity) if quantity is not None else None,
                   unit_price=price, amount=-amount, tax=-tax), []


def allocate_amount(blue_lines: list[BlueLine], total_with_tax: Decimal) -> list[Requested]:
    """Spread a tax-inclusive amount over the lines in proportion to what is left (for refunds without lines).

    Each share is converted to an amount excluding tax at the line's rate; the last line takes the rest.
    """
    open_lines = [line for line in blue_lines if line.remaining_amount > ZERO]
    left = sum((line.remaining_amount + line.remaining_tax for line in open_lines), ZERO)
    if not open_lines or total_with_tax <= ZERO or total_with_tax > left:
        raise RedLetterRuleError([f"退款金额 {fmt_money(total_with_tax)} 超过发票剩余可红冲的价税合计 {fmt_money(left)}"],
                                 "red_refund_exceeds")
    result, given = [], ZERO
    for index, line in enumerate(open_lines):
        line_left = line.remaining_amount + line.remaining_tax
        share = total_with_tax - given if index == len(open_lines) - 1 else money(total_with_tax * line_left / left)
        share = min(share, line_left)
        given += share
        if share <= ZERO:
            continue
        amount = line.remaining_amount if share == line_left else money(share / (1 + line.rate))
        result.append(Requested(line_no=line.line_no, amount=amount))
    return result
