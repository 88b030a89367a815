"""Every RULES.md check, refused per invoice with a Chinese message naming the field."""

from datetime import timedelta

import pytest

from tests.sandbox.conftest import next_number
from tests.sandbox.platform import (
    AGRI,
    GOODS,
    NOT_TAXABLE,
    SERVICE,
    SUMMARY_CODE,
    hours_ago,
    invoice,
    kprq_text,
    line,
    shanghai_now,
    uscc,
)

pytestmark = pytest.mark.django_db


def refused(seller, data) -> str:
    result = seller.issue([data])[0]
    assert result["status"] == "02", result
    return result["returnmsg"]


def two_lines():
    return [line(), line(GOODS, name="扫描仪", sl="1", dj="50")]


def test_it_accepts_a_valid_invoice_with_several_lines(seller):
    data = invoice(next_number(seller), [line(), line(AGRI, name="大米"), line(SERVICE, name="工作餐", sl="", dj="", je="100")])
    assert seller.issue([data])[0]["status"] == "00"


def test_it_refuses_a_line_amount_that_is_not_price_times_quantity(seller):
    lines = two_lines()
    lines[1].update(je="50.02", se="6.50", hsje="56.52")
    assert refused(seller, invoice(next_number(seller), lines)) == "第2行：金额与单价×数量不符（fpmxList[1].je）"


def test_it_accepts_a_line_amount_within_one_cent(seller):
    lines = two_lines()
    lines[1].update(je="50.01", se="6.50", hsje="56.51")
    assert seller.issue([invoice(next_number(seller), lines)])[0]["status"] == "00"


def test_it_refuses_a_total_amount_off_by_more_than_one_cent(seller):
    data = invoice(next_number(seller), hjje="200.02", jshj="226.02")
    assert refused(seller, data) == "合计金额与明细金额之和不符（hjje）"


def test_it_refuses_a_line_tax_off_by_more_than_six_cents(seller):
    data = invoice(next_number(seller), [line(se="26.07")])
    data.update(hjse="26.07", jshj="226.07")
    assert refused(seller, data) == "第1行：税额与金额×税率不符（fpmxList[0].se）"


def test_it_refuses_a_total_tax_off_by_more_than_1_27(seller):
    data = invoice(next_number(seller), hjse="27.28", jshj="227.28")
    assert refused(seller, data) == "合计税额与明细金额×税率之和不符（hjse）"


def test_it_accepts_a_total_tax_within_1_27(seller):
    data = invoice(next_number(seller), hjse="27.27", jshj="227.27")
    assert seller.issue([data])[0]["status"] == "00"


def test_it_refuses_totals_that_do_not_add_up_exactly(seller):
    assert refused(seller, invoice(next_number(seller), jshj="226.01")) == "价税合计不等于合计金额与合计税额之和（jshj）"


def test_it_refuses_a_negative_amount_on_a_blue_invoice(seller):
    data = invoice(next_number(seller), [line(), line(sl="-1", dj="10", je="-10")])
    assert refused(seller, data) == (
        "第2行：蓝字发票金额须为正数（fpmxList[1].je）；第2行：蓝字发票数量须为正数（fpmxList[1].sl）；"
        "第2行：蓝字发票税额不得为负数（fpmxList[1].se）"
    )


def test_it_refuses_a_quantity_without_a_unit_price(seller):
    data = invoice(next_number(seller), [line(sl="2", dj="", je="200")])
    assert refused(seller, data) == "第1行：数量与单价须同时填写或同时为空（fpmxList[0].dj）"


def test_it_refuses_a_tax_code_that_is_not_19_digits(seller):
    lines = [line()]
    lines[0]["sphfwssflhbbm"] = "109051103"
    assert refused(seller, invoice(next_number(seller), lines)) == "第1行：税收分类编码须为19位数字（fpmxList[0].sphfwssflhbbm）"


def test_it_refuses_a_tax_code_not_in_the_table(seller):
    lines = [line()]
    lines[0]["sphfwssflhbbm"] = "1999999990000000000"
    assert refused(seller, invoice(next_number(seller), lines)) == "第1行：税收分类编码不存在（fpmxList[0].sphfwssflhbbm）"


def test_it_refuses_a_summary_code(seller):
    lines = [line(("1060301010000000000", "软件", GOODS[2]))]
    assert lines[0]["sphfwssflhbbm"] == SUMMARY_CODE
    assert refused(seller, invoice(next_number(seller), lines)) == "第1行：税收分类编码为汇总项，不能使用（fpmxList[0].sphfwssflhbbm）"


def test_it_refuses_a_rate_the_code_does_not_allow(seller):
    data = invoice(next_number(seller), [line(SERVICE, name="工作餐", slv="0.13")])
    assert refused(seller, data) == "第1行：税率0.13不是税收分类编码3070401000000000000允许的税率（fpmxList[0].slv）"


def test_it_accepts_tax_free_with_rate_and_tax_zero(seller):
    data = invoice(next_number(seller), [line(AGRI, name="大米", slv="0", yhzcbs="03")])
    assert seller.issue([data])[0]["status"] == "00"


def test_it_refuses_tax_free_with_a_rate(seller):
    data = invoice(next_number(seller), [line(AGRI, name="大米", yhzcbs="03")])
    assert refused(seller, data) == (
        "第1行：享受免税或不征税政策时税率须为0（fpmxList[0].slv）；第1行：享受免税或不征税政策时税额须为0（fpmxList[0].se）"
    )


def test_it_refuses_a_preferential_flag_the_code_does_not_allow(seller):
    data = invoice(next_number(seller), [line(GOODS, slv="0", yhzcbs="04")])
    assert refused(seller, data) == "第1行：税收分类编码1090511030000000000不适用优惠政策标识04（fpmxList[0].yhzcbs）"


def test_it_accepts_not_taxable(seller):
    data = invoice(next_number(seller), [line(NOT_TAXABLE, name="储值卡充值", sl="", dj="", je="500", yhzcbs="04")])
    assert seller.issue([data])[0]["status"] == "00"


def test_it_refuses_a_name_without_the_codes_short_name(seller):
    lines = [line()]
    lines[0]["hwhyslwfwmc"] = "*打印设备*打印机"
    assert refused(seller, invoice(next_number(seller), lines)) == (
        "第1行：商品名称须为“*计算机外部设备*项目名称”（税收分类简称计算机外部设备）（fpmxList[0].hwhyslwfwmc）"
    )


@pytest.mark.parametrize(
    ("buyer", "message"),
    [
        ("91440300ma5f00002x", "购买方纳税人识别号须为15至20位数字或大写字母（gmfnsrsbh）"),
        ("1234567890123", "购买方纳税人识别号须为15至20位数字或大写字母（gmfnsrsbh）"),
        ("91440300MA5F00002" + "0", "购买方纳税人识别号校验位错误（gmfnsrsbh）"),
        ("91440300MA5F0000I" + "0", "购买方统一社会信用代码含无效字符（gmfnsrsbh）"),
    ],
)
def test_it_refuses_a_malformed_buyer_tax_id(seller, buyer, message):
    assert uscc("91440300MA5F00002")[-1] != "0"
    assert refused(seller, invoice(next_number(seller), gmfnsrsbh=buyer)) == message


@pytest.mark.parametrize("buyer", ["110108123456789", "11010812345678901", "12345678901234567890"])
def test_it_accepts_15_17_and_20_character_ids_on_format(seller, buyer):
    assert seller.issue([invoice(next_number(seller), gmfnsrsbh=buyer)])[0]["status"] == "00"


def test_it_requires_the_buyer_tax_id_on_a_special_invoice(seller):
    data = invoice(next_number(seller), fppz="01", gmfnsrsbh="")
    assert refused(seller, data) == "增值税专用发票须填写购买方纳税人识别号（gmfnsrsbh）"


def test_it_accepts_a_natural_person_without_tax_id_on_a_normal_invoice(seller):
    data = invoice(next_number(seller), gmfnsrsbh="", gmfmc="李四", gmfzrrbz="Y")
    assert seller.issue([data])[0]["status"] == "00"


def test_it_refuses_a_special_invoice_to_a_natural_person(seller):
    data = invoice(next_number(seller), fppz="01", gmfzrrbz="Y")
    assert refused(seller, data) == "增值税专用发票不能开具给自然人（gmfzrrbz）"


def test_it_refuses_a_number_not_from_the_units_blocks(seller):
    number = seller.numbers_left[-1][:6] + "99999999999999"
    assert refused(seller, invoice(number)) == "发票号码不在本单位已领用的号段内（fphm）"


def test_it_refuses_a_number_of_another_year(seller):
    number = next_number(seller)
    last_year = f"{(shanghai_now().year - 1) % 100:02d}"
    assert refused(seller, invoice(last_year + number[2:])) == (
        "发票号码年份与开票日期年份不符（fphm）；发票号码不在本单位已领用的号段内（fphm）"
    )


def test_it_refuses_an_issue_time_in_the_future(seller):
    data = invoice(next_number(seller), kprq=kprq_text(shanghai_now() + timedelta(minutes=10)))
    assert refused(seller, data) == "开票日期不能晚于当前时间（kprq）"


def test_it_refuses_an_upload_more_than_48_hours_after_issue(seller):
    data = invoice(next_number(seller), kprq=hours_ago(49))
    assert refused(seller, data) == "开票日期距上传已超过48小时（kprq）"


def test_it_accepts_an_upload_within_48_hours(seller):
    data = invoice(next_number(seller), kprq=hours_ago(47))
    assert data["kprq"][2:4] == data["fphm"][:2]
    assert seller.issue([data])[0]["status"] == "00"


def test_it_refuses_a_blue_remark_over_450_characters(seller):
    limit = 450
    assert seller.issue([invoice(next_number(seller), bz="备" * limit)])[0]["status"] == "00"
    assert refused(seller, invoice(next_number(seller), bz="备" * (limit + 1))) == f"备注不能超过{limit}个字符（bz）"


def test_it_accepts_a_discount_line_after_its_discounted_line(seller):
    lines = [line(fphxz="02"), line(sl="", dj="", je="-20", se="-2.60", fphxz="01")]
    assert seller.issue([invoice(next_number(seller), lines)])[0]["status"] == "00"


def test_it_refuses_a_discount_line_without_discounted_line_before_it(seller):
    lines = [line(), line(sl="", dj="", je="-20", se="-2.60", fphxz="01")]
    assert refused(seller, invoice(next_number(seller), lines)) == "第2行：折扣行须紧跟在被折扣行之后（fpmxList[1].fphxz）"


def test_it_refuses_a_discounted_line_without_its_discount(seller):
    lines = [line(fphxz="02"), line(name="扫描仪")]
    assert refused(seller, invoice(next_number(seller), lines)) == "第1行：被折扣行之后须紧跟其折扣行（fpmxList[0].fphxz）"


def test_it_refuses_a_discount_line_with_another_code_rate_or_a_price(seller):
    lines = [line(fphxz="02"), line(AGRI, sl="", dj="", je="-20", se="-1.80", fphxz="01")]
    lines[1]["hwhyslwfwmc"] = "*谷物*打印机"
    assert refused(seller, invoice(next_number(seller), lines)) == (
        "第2行：折扣行的税收分类编码须与被折扣行一致（fpmxList[1].sphfwssflhbbm）；第2行：折扣行的税率须与被折扣行一致（fpmxList[1].slv）"
    )
    lines = [line(fphxz="02"), line(sl="1", dj="20", je="-20", se="-2.60", fphxz="01")]
    assert refused(seller, invoice(next_number(seller), lines)) == (
        "第2行：折扣行不得填写数量和单价（fpmxList[1].sl）；第2行：金额与单价×数量不符（fpmxList[1].je）"
    )


def test_it_refuses_a_discount_line_with_another_name_or_a_unit(seller):
    # RULES.md: a discount line copies its line's name and leaves spec and unit empty.
    lines = [line(fphxz="02"), line(name="折扣", sl="", dj="", je="-20", se="-2.60", fphxz="01")]
    lines[1]["hwhyslwfwmc"] = lines[0]["hwhyslwfwmc"]
    lines[1]["dw"] = "台"
    assert refused(seller, invoice(next_number(seller), lines)) == (
        "第2行：折扣行不得填写单位（fpmxList[1].dw）；第2行：折扣行的项目名称须与被折扣行一致（fpmxList[1].xmmc）"
    )


def test_it_refuses_a_positive_discount(seller):
    lines = [line(fphxz="02"), line(sl="", dj="", je="20", se="2.60", fphxz="01")]
    assert refused(seller, invoice(next_number(seller), lines)) == "第2行：折扣行金额须为负数（fpmxList[1].je）；第2行：折扣行税额不得为正数（fpmxList[1].se）"


def test_it_refuses_a_line_amount_with_three_decimals(seller):
    lines = [line()]
    data = invoice(next_number(seller), lines)
    data["fpmxList"][0]["je"] = "200.001"
    assert refused(seller, data) == "第1行：金额格式错误（fpmxList[0].je）"


def test_it_refuses_more_than_two_decimals_in_an_amount(seller):
    data = invoice(next_number(seller))
    data["hjje"] = "200.001"
    assert refused(seller, data) == "合计金额格式错误，须为最多两位小数的数字（hjje）"


def test_it_refuses_an_invoice_beyond_the_downloaded_quota(platform):
    platform.download_quota("100.00")
    number = platform.numbers(1)[0]
    assert refused(platform, invoice(number)) == "授信额度不足：已下载可用额度100.00（jshj）"


def test_it_refuses_a_seller_other_than_the_unit(seller):
    assert refused(seller, invoice(next_number(seller), xsfnsrsbh=uscc("91310000MA1K00009"))) == (
        "销售方纳税人识别号与接入单位不符（xsfnsrsbh）"
    )


def test_it_refuses_each_invoice_on_its_own(seller):
    good, bad = next_number(seller), next_number(seller)
    results = seller.issue([invoice(good), invoice(bad, jshj="1.00")])
    assert [(r["fphm"], r["status"]) for r in results] == [(good, "00"), (bad, "02")]


def test_it_refuses_another_units_platform_id(seller):
    data = invoice(next_number(seller), ptbh="9" * 20)
    assert refused(seller, data) == "平台编号与接入单位不符（ptbh）"


def test_it_refuses_an_invoice_without_the_platform_id(seller):
    data = invoice(next_number(seller), ptbh="")
    assert refused(seller, data) == "平台编号与接入单位不符（ptbh）"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ip", "", "服务器地址不能为空，最长20个字符（ip）"),
        ("macdz", "", "mac地址不能为空，最长20个字符（macdz）"),
        ("macdz", "52-54-00-12-34-56-78-9A", "mac地址不能为空，最长20个字符（macdz）"),
        ("qyDm", "", "区域代码不能为空，最长20个字符（qyDm）"),
    ],
)
def test_it_refuses_a_missing_connection_fact(seller, name, value, message):
    assert refused(seller, invoice(next_number(seller), **{name: value})) == message


def test_it_refuses_an_invoice_without_ip_and_mac_address(seller):
    data = invoice(next_number(seller))
    del data["ip"], data["macdz"]
    assert refused(seller, data) == "服务器地址不能为空，最长20个字符（ip）；mac地址不能为空，最长20个字符（macdz）"


@pytest.mark.parametrize("value", ["", "1", "3", "6"])
def test_it_refuses_an_issuing_method_other_than_4_or_5(seller, value):
    assert refused(seller, invoice(next_number(seller), fpkjfsDm=value)) == (
        "发票开具方式代码须为4（第三方平台开票）或5（自建平台开票）（fpkjfsDm）"
    )


def test_it_accepts_the_third_party_issuing_method(seller):
    assert seller.issue([invoice(next_number(seller), fpkjfsDm="4")])[0]["status"] == "00"


def test_it_refuses_an_amount_with_tax_other_than_amount_plus_tax(seller):
    lines = two_lines()
    lines[1]["hsje"] = "56.49"
    assert refused(seller, invoice(next_number(seller), lines)) == "第2行：含税金额须等于金额与税额之和（fpmxList[1].hsje）"
    lines = two_lines()
    del lines[0]["hsje"]
    assert refused(seller, invoice(next_number(seller), lines)) == "第1行：含税金额不能为空（fpmxList[0].hsje）"


def test_it_refuses_a_short_name_other_than_the_codes(seller):
    lines = [line()]
    lines[0]["spfwjc"] = "打印设备"
    assert refused(seller, invoice(next_number(seller), lines)) == (
        "第1行：商品服务简称须为税收分类简称计算机外部设备（fpmxList[0].spfwjc）"
    )
    lines = [line()]
    del lines[0]["spfwjc"]
    assert refused(seller, invoice(next_number(seller), lines)) == (
        "第1行：商品服务简称须为税收分类简称计算机外部设备（fpmxList[0].spfwjc）"
    )


@pytest.mark.parametrize(("value", "status"), [("", "00"), ("01", "00"), ("02", "00"), ("Y", "02")])
def test_it_takes_the_margin_kind_in_cezslxdm(seller, value, status):
    result = seller.issue([invoice(next_number(seller), cezslxDm=value)])[0]
    assert result["status"] == status, result
    if status == "02":
        assert result["returnmsg"] == "差额征税类型代码须为空、01（全额开票）或02（差额开票）（cezslxDm）"


def test_a_deduction_names_why_it_is_refused_with_or_without_a_difference_kind(seller):
    """The message said 非差额发票 even on a 差额 (cezslxDm 02) invoice; the sandbox issues no 差额 yet."""
    plain = invoice(next_number(seller), [{**line(), "kce": "10.00"}])
    assert refused(seller, plain) == "第1行：非差额发票不得填写扣除额（fpmxList[0].kce）"
    margin = invoice(next_number(seller), [{**line(), "kce": "10.00"}], cezslxDm="02")
    assert refused(seller, margin) == "第1行：沙箱暂不支持差额开票，扣除额须为空或0（fpmxList[0].kce）"
