"""Each rule of RULES.md on a draft: the valid case passes, the broken one fails exactly."""

from invoicing.rules.errors import RuleError
from invoicing.rules.invoice import (
    DISCOUNT_LINE,
    DISCOUNTED_LINE,
    check_invoice_number,
    validate_invoice,
)
from tests.invoicing.factories import VEGETABLE, D, a_draft, a_line, a_red_draft


def only_error(draft) -> RuleError:
    result = validate_invoice(draft)
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def test_it_accepts_a_valid_blue_invoice():
    result = validate_invoice(a_draft())
    assert result.ok and not result.warnings


def test_it_accepts_a_valid_red_invoice():
    assert validate_invoice(a_red_draft()).ok


def test_it_refuses_line_amount_mismatch():
    line = a_line(quantity=D(2), unit_price=D("49.50"), amount=D("100.00"), tax=D("13.00"))
    error = only_error(a_draft([line]))
    assert error == RuleError(
        code="line_amount_mismatch",
        field="lines[0].amount",
        platform_field="fpmxList[0].je",
        message="第1行：金额 100.00 与 单价×数量 99.00 不符（允许误差0.01）",
    )


def test_it_accepts_line_amount_within_a_cent():
    line = a_line(quantity=D(3), unit_price=D("33.336"), amount=D("100.00"), tax=D("13.00"))
    assert validate_invoice(a_draft([line])).ok


def test_it_names_the_second_line_by_number():
    lines = [a_line(), a_line(unit_price=D("49.50"))]
    error = only_error(a_draft(lines))
    assert (error.field, error.platform_field) == ("lines[1].amount", "fpmxList[1].je")
    assert error.message.startswith("第2行：")


def test_it_refuses_quantity_without_price():
    error = only_error(a_draft([a_line(unit_price=None)]))
    assert (error.code, error.field, error.platform_field) == (
        "quantity_price_pairing",
        "lines[0].unit_price",
        "fpmxList[0].dj",
    )
    assert error.message == "第1行：数量和单价须同时填写或同时为空，请补填单价或清空另一项"


def test_it_accepts_neither_quantity_nor_price():
    assert validate_invoice(a_draft([a_line(quantity=None, unit_price=None)])).ok


def test_it_refuses_line_tax_off_by_more_than_6_cents():
    line = a_line(tax=D("13.07"))
    result = validate_invoice(a_draft([line]))
    assert result.codes == ["line_tax_mismatch"]
    error = result.errors[0]
    assert (error.field, error.platform_field) == ("lines[0].tax", "fpmxList[0].se")
    assert error.message == "第1行：税额 13.07 与 金额×税率 13.00 不符（允许误差0.06），请改为 13.00"


def test_it_accepts_line_tax_off_by_6_cents():
    draft = a_draft([a_line(tax=D("13.06"))])
    assert validate_invoice(draft).ok


def test_it_refuses_total_amount_mismatch():
    draft = a_draft(total_amount=D("100.02"), total_with_tax=D("113.02"))
    error = only_error(draft)
    assert (error.code, error.field, error.platform_field) == ("total_amount_mismatch", "total_amount", "hjje")
    assert error.message == "合计金额 100.02 与各行金额之和 100.00 不符（允许误差0.01），请改为 100.00"


def test_it_accepts_total_amount_within_a_cent():
    assert validate_invoice(a_draft(total_amount=D("100.01"), total_with_tax=D("113.01"))).ok


def test_it_refuses_total_tax_beyond_1_27():
    # 30 lines whose rounded taxes drift: the total may differ from Σ(amount × rate) by ≤ 1.27.
    lines = [a_line(quantity=None, unit_price=None, amount=D("0.50"), tax=D("0.07")) for _ in range(30)]
    draft = a_draft(lines)  # Σ tax 2.10, Σ amount × rate 1.95
    assert validate_invoice(draft).ok
    draft = a_draft(lines, total_tax=D("3.23"), total_with_tax=D("18.23"))
    error = only_error(draft)
    assert (error.code, error.field, error.platform_field) == ("total_tax_mismatch", "total_tax", "hjse")
    assert error.message == "合计税额 3.23 与各行金额×税率之和 1.95 不符（允许误差1.27），请按各行税额重新合计"


def test_it_refuses_a_broken_identity():
    error = only_error(a_draft(total_with_tax=D("113.01")))
    assert (error.code, error.field, error.platform_field) == ("total_identity_mismatch", "total_with_tax", "jshj")
    assert error.message == "价税合计 113.01 应等于合计金额 100.00 + 合计税额 13.00 = 113.00"


def test_it_refuses_negative_blue_lines():
    line = a_line(quantity=D(-2), amount=D("-100.00"), tax=D("-13.00"))
    result = validate_invoice(a_draft([line]))
    assert result.codes == ["amount_sign", "quantity_sign", "tax_sign", "total_sign"]
    assert result.errors[0].message == "第1行：蓝字发票金额须为正数，当前为 -100.00"
    assert result.errors[1].platform_field == "fpmxList[0].sl"
    assert result.errors[3].message == "蓝字发票价税合计须为正数，当前为 -113.00"


def test_it_refuses_positive_red_lines():
    draft = a_draft(is_red=True)
    result = validate_invoice(draft)
    assert result.codes == ["amount_sign", "quantity_sign", "tax_sign", "total_sign"]
    assert result.errors[0].message == "第1行：红字发票金额须为负数，当前为 100.00"
    assert result.errors[1].message == "第1行：红字发票数量须为负数，当前为 2"


def test_it_refuses_negative_unit_price_on_red():
    line = a_line(quantity=D(-2), unit_price=D(-50), amount=D("-100.00"), tax=D("-13.00"))
    result = validate_invoice(a_draft([line], is_red=True))
    assert result.codes == ["unit_price_sign", "line_amount_mismatch"]
    assert result.errors[0].message == "第1行：单价 -50 须为正数"


def test_it_refuses_unknown_and_summary_codes():
    error = only_error(a_draft([a_line(tax_code="1030204000000000000")]))
    assert (error.code, error.platform_field) == ("tax_code_summary", "fpmxList[0].sphfwssflhbbm")
    assert error.message == "第1行：税收分类编码 1030204000000000000 是汇总项，不能用于开票，请选择其下级明细编码"
    error = only_error(a_draft([a_line(tax_code="1999999990000000000")]))
    assert error.code == "tax_code_unknown"
    error = only_error(a_draft([a_line(tax_code="10302")]))
    assert error.message == "第1行：税收分类编码应为19位数字，当前为“10302”，请重新选择编码"


def test_it_refuses_a_rate_the_code_does_not_allow():
    line = a_line(rate=D("0.06"), tax=D("6.00"))
    error = only_error(a_draft([line]))
    assert (error.code, error.field, error.platform_field) == ("rate_not_allowed", "lines[0].rate", "fpmxList[0].slv")
    assert error.message == "第1行：税率 6% 不适用于税收分类编码 1030204020000000000，可选：13%、3%、1%、0%"


def test_it_accepts_a_small_scale_levy_rate():
    assert validate_invoice(a_draft([a_line(rate=D("0.03"), tax=D("3.00"))])).ok


def test_it_refuses_an_unknown_rate():
    error = only_error(a_draft([a_line(rate=D("0.17"), tax=D("17.00"))]))
    assert error.code == "rate_invalid"
    assert error.message == "第1行：税率 17% 不是有效税率（可用13%、9%、6%、5%、3%、1.5%、1%、0%）"


def test_it_accepts_tax_free_with_zero_rate_and_tax():
    line = a_line(tax_code=VEGETABLE, rate=D(0), tax=D("0.00"), preferential="03")
    assert validate_invoice(a_draft([line])).ok


def test_it_refuses_tax_free_with_a_rate():
    line = a_line(tax_code=VEGETABLE, rate=D("0.09"), tax=D("9.00"), preferential="03")
    result = validate_invoice(a_draft([line]))
    assert result.codes == ["preferential_rate_not_zero", "preferential_tax_not_zero"]
    assert result.errors[0].message == "第1行：免税项目税率须为0，当前为 9%"
    assert result.errors[1].message == "第1行：免税项目税额须为0，当前为 9.00"


def test_it_refuses_tax_free_where_no_policy_exists():
    line = a_line(rate=D(0), tax=D("0.00"), preferential="03")
    error = only_error(a_draft([line]))
    assert (error.code, error.platform_field) == ("preferential_not_allowed", "fpmxList[0].yhzcbs")
    assert error.message == "第1行：该税收分类编码不适用免税（03），请清除优惠政策标识或更换编码"


def test_it_accepts_not_taxable_on_the_not_taxable_family():
    line = a_line(
        tax_code="6010000000000000000", rate=D(0), tax=D("0.00"), preferential="04", quantity=None, unit_price=None
    )
    assert validate_invoice(a_draft([line])).ok


def discount_pair(**discount):
    discounted = a_line(kind=DISCOUNTED_LINE)
    values = dict(quantity=None, unit_price=None, unit="", amount=D("-10.00"), tax=D("-1.30"), kind=DISCOUNT_LINE)
    values.update(discount)
    return [discounted, a_line(**values)]


def test_it_accepts_a_discount_line():
    assert validate_invoice(a_draft(discount_pair())).ok


def test_it_refuses_a_discount_line_not_after_its_line():
    lines = [a_line(), discount_pair()[1]]
    result = validate_invoice(a_draft(lines))
    assert result.codes == ["discount_without_discounted_line"]
    assert result.errors[0].field == "lines[1].kind"
    assert result.errors[0].message == "第2行：折扣行须紧跟在被折扣行之后，且上一行应标为被折扣行"


def test_it_refuses_a_discounted_line_without_discount():
    error = only_error(a_draft([a_line(kind=DISCOUNTED_LINE)]))
    assert (error.code, error.platform_field) == ("discount_line_missing", "fpmxList[0].fphxz")


def test_it_refuses_a_discount_with_another_name_code_or_rate():
    result = validate_invoice(a_draft(discount_pair(name="别的", tax_code="1030204010000000000")))
    assert result.codes == ["discount_line_mismatch", "discount_line_mismatch"]
    assert [e.field for e in result.errors] == ["lines[1].name", "lines[1].tax_code"]
    assert result.errors[0].message == "第2行：折扣行的项目名称须与第1行（被折扣行）一致"


def test_it_refuses_a_discount_with_quantity_or_unit():
    result = validate_invoice(a_draft(discount_pair(unit="盒")))
    assert result.codes == ["discount_line_field_not_empty"]
    assert result.errors[0].message == "第2行：折扣行不填单位，请清空"


def test_it_refuses_a_positive_discount():
    result = validate_invoice(a_draft(discount_pair(amount=D("10.00"), tax=D("1.30"))))
    assert result.codes == ["discount_amount_sign"]


def test_it_refuses_a_discount_above_the_line():
    result = validate_invoice(a_draft(discount_pair(amount=D("-100.01"), tax=D("-13.00"))))
    assert result.codes == ["discount_exceeds_line", "total_sign"]
    assert result.errors[0].message == "第2行：折扣金额 100.01 超过被折扣行金额 100.00，请减少折扣"


def test_it_requires_the_buyer_tax_id_on_special_invoices():
    error = only_error(a_draft(kind="01", buyer_tax_id=""))
    assert (error.code, error.field, error.platform_field) == ("buyer_tax_id_required", "buyer_tax_id", "gmfnsrsbh")
    assert error.message == "开具专票须填写购买方纳税人识别号"
    assert validate_invoice(a_draft(kind="02", buyer_tax_id="", buyer_is_person=True)).ok
    assert validate_invoice(a_draft(kind="01")).ok


def test_it_refuses_a_buyer_tax_id_with_a_wrong_check_character():
    error = only_error(a_draft(kind="01", buyer_tax_id="91350100M000100Y44"))
    assert error.code == "buyer_tax_id_invalid"
    assert error.message == "购方税号有误：统一社会信用代码校验位错误：第18位应为 3，实为 4"


def test_it_refuses_special_invoices_to_natural_persons():
    assert validate_invoice(a_draft(kind="01", buyer_is_person=True)).codes == ["special_invoice_to_person"]


def test_it_requires_a_buyer_name():
    assert validate_invoice(a_draft(buyer_name=" ")).codes == ["buyer_name_required"]


def test_it_limits_the_remark():
    assert validate_invoice(a_draft(remark="备" * 450)).ok
    error = only_error(a_draft(remark="备" * 451))
    assert (error.code, error.platform_field) == ("remark_too_long", "bz")
    assert error.message == "备注最多450个字（蓝字发票），当前451个字，请删减1个字"
    assert validate_invoice(a_red_draft(remark="备" * 382)).ok
    assert only_error(a_red_draft(remark="备" * 383)).message == "备注最多382个字（红字发票），当前383个字，请删减1个字"


def test_it_limits_lines_to_5000():
    line = a_line(quantity=None, unit_price=None, amount=D("1.00"), tax=D("0.13"))
    assert validate_invoice(a_draft([line] * 5000)).ok
    error = only_error(a_draft([line] * 5001))
    assert (error.code, error.platform_field) == ("too_many_lines", "fpmxList")


def test_it_requires_a_line():
    assert validate_invoice(a_draft([], total_amount=D(0), total_tax=D(0), total_with_tax=D(0))).codes == [
        "lines_missing"
    ]


def test_it_refuses_more_than_two_decimals():
    result = validate_invoice(a_draft([a_line(amount=D("100.001"), unit_price=D("50.0005"))], total_amount=D("100.00")))
    assert "money_precision" in result.codes


def test_it_checks_invoice_numbers():
    assert check_invoice_number("25357000000000000001", year=2025, province="35") == []
    assert check_invoice_number("2535700000000000001")[0].message == "发票号码应为20位数字，当前为“2535700000000000001”"
    assert [e.code for e in check_invoice_number("25356300000000000001")] == [
        "invoice_number_channel",
        "invoice_number_access_mode",
    ]
    assert check_invoice_number("24357000000000000001", year=2025)[0].code == "invoice_number_year"
    assert validate_invoice(a_draft(number="25357000000000000001")).ok
    assert validate_invoice(a_draft(number="X5357000000000000001")).codes == ["invoice_number_format"]


def test_it_refuses_an_unknown_invoice_kind():
    assert validate_invoice(a_draft(kind="03")).codes == ["invoice_kind_invalid"]
