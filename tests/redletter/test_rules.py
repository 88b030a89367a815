"""The red-letter rules of RULES.md, each accepted and refused, as pure functions (no database)."""

from decimal import Decimal as D

import pytest

from invoicing.redletter.rules import (
    BlueLine,
    RedLetterRuleError,
    Requested,
    allocate_amount,
    check_red_invoice_type,
    plan_reversal,
)

GOODS = "1030204020000000000"
SERVICE = "3070401000000000000"


def blue(line_no=1, *, code=GOODS, rate="0.13", quantity="3", price="100", amount="300.00", tax="39.00",
         remaining_amount=None, remaining_tax=None, remaining_quantity=None, name="奶酪"):
    return BlueLine(
        line_no=line_no, name=name, tax_code=code, rate=D(rate), quantity=D(quantity) if quantity else None,
        unit_price=D(price) if price else None, amount=D(amount), tax=D(tax),
        remaining_amount=D(remaining_amount or amount), remaining_tax=D(remaining_tax or tax),
        remaining_quantity=(D(remaining_quantity or quantity) if quantity else None),
    )


def refused(**kwargs) -> str:
    with pytest.raises(RedLetterRuleError) as caught:
        plan_reversal(**kwargs)
    return caught.value.message


def test_it_reverses_everything_in_full_with_negative_amounts_and_positive_price():
    plan = plan_reversal(reason="01", blue_lines=[blue()], requested=[], full=True)
    [line] = plan.lines
    assert (line.quantity, line.unit_price, line.amount, line.tax) == (D(-3), D(100), D("-300.00"), D("-39.00"))
    assert (plan.amount, plan.tax) == (D("-300.00"), D("-39.00"))


def test_01_allows_a_partial_amount_without_quantity():
    [line] = plan_reversal(reason="01", blue_lines=[blue()], requested=[Requested(1, amount=D("50"))],
                           full=False).lines
    assert (line.quantity, line.unit_price, line.amount, line.tax) == (None, None, D("-50.00"), D("-6.50"))


def test_02_changes_only_the_quantity_and_keeps_the_unit_price():
    [line] = plan_reversal(reason="02", blue_lines=[blue()], requested=[Requested(1, quantity=D(1))],
                           full=False).lines
    assert (line.quantity, line.unit_price, line.amount, line.tax) == (D(-1), D(100), D("-100.00"), D("-13.00"))


def test_02_refuses_an_amount_alone_and_a_changed_unit_price():
    assert "销货退回（02）只能变更数量：请填写第1行的退回数量" in refused(
        reason="02", blue_lines=[blue()], requested=[Requested(1, amount=D("80"))], full=False)
    assert "销货退回（02）不能变更单价：第1行金额应为 数量×单价 = 100.00，填写的是 80.00" in refused(
        reason="02", blue_lines=[blue()], requested=[Requested(1, quantity=D(1), amount=D("80"))], full=False)


def test_02_is_refused_for_service_codes():
    message = refused(reason="02", blue_lines=[blue(code=SERVICE, rate="0.06", tax="18.00", name="餐费")],
                      requested=[], full=True)
    assert message == ("第1行「餐费」是服务类税收分类编码（3070401000000000000），不能以销货退回（02）红冲；"
                       "请选择服务中止（03）或开票有误（01）")


def test_03_is_refused_for_goods_codes_and_accepted_for_services():
    assert "不能以服务中止（03）红冲" in refused(reason="03", blue_lines=[blue()], requested=[], full=True)
    service = blue(code=SERVICE, rate="0.06", tax="18.00")
    [line] = plan_reversal(reason="03", blue_lines=[service], requested=[Requested(1, amount=D("120"))],
                           full=False).lines
    assert (line.amount, line.tax, line.unit_price) == (D("-120.00"), D("-7.20"), None)
    [by_quantity] = plan_reversal(reason="03", blue_lines=[service], requested=[Requested(1, quantity=D(2))],
                                  full=False).lines
    assert (by_quantity.quantity, by_quantity.unit_price, by_quantity.amount) == (D(-2), D(100), D("-200.00"))


def test_03_refuses_a_changed_unit_price():
    service = blue(code=SERVICE, rate="0.06", tax="18.00")
    assert "服务中止（03）不能变更单价" in refused(
        reason="03", blue_lines=[service], requested=[Requested(1, quantity=D(1), amount=D("90"))], full=False)


def test_04_takes_an_amount_and_refuses_a_quantity():
    [line] = plan_reversal(reason="04", blue_lines=[blue()], requested=[Requested(1, amount=D("30"))],
                           full=False).lines
    assert (line.quantity, line.unit_price, line.amount) == (None, None, D("-30.00"))
    assert refused(reason="04", blue_lines=[blue()], requested=[Requested(1, quantity=D(1))], full=False) == (
        "销售折让（04）只能按金额红冲，第1行的数量和单价须为空，请只填写金额")
    full = plan_reversal(reason="04", blue_lines=[blue()], requested=[], full=True).lines[0]
    assert (full.quantity, full.amount) == (None, D("-300.00"))


def test_it_never_goes_beyond_what_is_left_on_a_line():
    line = blue(remaining_amount="100.00", remaining_tax="13.00", remaining_quantity="1")
    assert refused(reason="02", blue_lines=[line], requested=[Requested(1, quantity=D(2))], full=False) == (
        "第1行红冲数量 2 超过该行剩余可红冲数量 1；第1行红冲金额 200.00 超过该行剩余可红冲金额 100.00")
    assert refused(reason="01", blue_lines=[line], requested=[Requested(1, amount=D("100.01"))], full=False) == (
        "第1行红冲金额 100.01 超过该行剩余可红冲金额 100.00")


def test_the_last_units_take_the_rest_so_no_cent_is_left_behind():
    line = blue(quantity="3", price="33.333", amount="100.00", tax="13.00", remaining_amount="66.67",
                remaining_tax="8.67", remaining_quantity="2")
    [first] = plan_reversal(reason="02", blue_lines=[line], requested=[Requested(1, quantity=D(2))],
                            full=False).lines
    assert (first.amount, first.tax) == (D("-66.67"), D("-8.67"))


def test_a_margin_taxed_invoice_is_reversed_only_in_full_and_once():
    message = "差额征税发票只能全额红冲（且只能红冲一次），不能部分红冲；请选择全额红冲"
    assert refused(reason="01", blue_lines=[blue()], requested=[Requested(1, amount=D(10))], full=False,
                   margin_taxed=True) == message
    assert refused(reason="01", blue_lines=[blue()], requested=[], full=True, margin_taxed=True,
                   reversed_before=True) == message
    assert plan_reversal(reason="01", blue_lines=[blue()], requested=[], full=True, margin_taxed=True).amount == D(
        "-300.00")


def test_a_special_invoice_is_reversed_only_by_a_special_invoice():
    check_red_invoice_type(blue_type="01", red_type="01")
    with pytest.raises(RedLetterRuleError) as caught:
        check_red_invoice_type(blue_type="01", red_type="02")
    assert caught.value.message == "增值税专用发票只能以红字增值税专用发票红冲，请将红字发票的票种设为专票"


def test_it_refuses_nothing_to_reverse_unknown_lines_and_bad_reasons():
    done = blue(remaining_amount="0.00", remaining_tax="0.00", remaining_quantity="0")
    assert "没有可红冲的金额" in refused(reason="01", blue_lines=[done], requested=[], full=True)
    assert refused(reason="01", blue_lines=[blue()], requested=[Requested(9, amount=D(1))], full=False) == (
        "蓝字发票没有第9行")
    assert "请选择红冲原因" in refused(reason="05", blue_lines=[blue()], requested=[], full=True)
    assert refused(reason="01", blue_lines=[blue()], requested=[], full=False) == "请至少选择一行，并填写红冲数量或金额"


def test_a_refund_amount_is_spread_over_the_lines_in_proportion():
    lines = [blue(1), blue(2, amount="100.00", tax="13.00", quantity="1")]
    requested = allocate_amount(lines, D("113.00"))
    assert [(r.line_no, r.amount) for r in requested] == [(1, D("75.00")), (2, D("25.00"))]
    with pytest.raises(RedLetterRuleError):
        allocate_amount(lines, D("500.00"))
