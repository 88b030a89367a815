"""Red-letter confirmation forms: states 01–10, 72 h expiry, reason rules, red invoices against forms."""

import time

import pytest

from sandbox.models import RedForm
from tests.sandbox.conftest import next_number
from tests.sandbox.platform import (
    AGRI,
    BUYER_ID,
    GOODS,
    SELLER_ID,
    SERVICE,
    PlatformClient,
    control,
    form_line,
    invoice,
    line,
    red_form_request,
    register_unit,
    shanghai_now,
)

pytestmark = pytest.mark.django_db


def issue_blue(seller, lines=None, **fields) -> dict:
    """Issue a blue invoice; the invoice as uploaded (its number is ``["fphm"]``)."""
    data = invoice(next_number(seller), lines, **fields)
    assert seller.issue([data])[0]["status"] == "00"
    return data


def form_request(blue: dict, *, chyydm="01", items=None, **fields) -> dict:
    return red_form_request(blue, chyydm=chyydm, items=items, **fields)


def apply(seller, request) -> dict:
    return seller.call("QDHZQRDSQ", request).data


def act(seller, form: dict, qrlx: str, **fields) -> dict:
    """QDHZQRDQR as the seller: the form's uuid and its number (hzqrdbh)."""
    payload = {"xsfnsrsbh": SELLER_ID, "uuid": form["uuid"], "hzqrdbh": form["hzqrxxdbh"], "qrlx": qrlx, **fields}
    return seller.call("QDHZQRDQR", payload).data


def red_line(dylzfpmxxh=1, **fields) -> dict:
    """A red line (``line()``'s options; by default all of the default blue line) naming its blue line."""
    return {**line(**{"sl": "-2", "dj": "100", "je": "-200", "se": "-26", **fields}), "dylzfpmxxh": dylzfpmxxh}


def red_invoice(seller, blue: dict, form: dict, lines=None, **fields) -> dict:
    fields = {"dylzfphm": blue["fphm"], "hzqrxxdbh": form["hzqrxxdbh"], "hzqrduuid": form["uuid"], **fields}
    return invoice(next_number(seller), lines or [red_line()], red=True, **fields)


def book(http, blue: dict) -> None:
    assert control(http, "post", f"invoices/{blue['fphm']}/book")[0] == 200


def test_a_form_for_an_unbooked_invoice_needs_no_confirmation_and_allows_the_red_invoice(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    assert form["returncode"] == "00" and form["hzqrxxztDm"] == "01"
    assert len(form["hzqrxxdbh"]) == 20 and len(form["uuid"]) == 32
    red = red_invoice(seller, blue, form)
    assert seller.issue([red])[0]["status"] == "00"
    status = seller.ok("FPZTXXCX", {"nsrsbh": SELLER_ID, "fphm": blue["fphm"]})
    assert (status["fpzt"], status["yhcje"]) == ("02", "226.00")
    detail = seller.ok("CXQDHZQRDMX", {"xsfnsrsbh": SELLER_ID, "uuid": form["uuid"]})
    assert (detail["ykjhzfpbz"], detail["chyyDm"], detail["hzqrdmxList"][0]["je"]) == ("Y", "01", "-200.00")
    assert "chyydm" not in detail and "mxList" not in detail and "hzqrxxztdm" not in detail
    assert {name: detail["hzqrdmxList"][0][name] for name in ("lzmxxh", "xh", "fpspsl", "fpspdj", "sl1", "se", "spfwjc")} == {
        "lzmxxh": 1, "xh": 1, "fpspsl": "-2", "fpspdj": "100", "sl1": "0.13", "se": "-26.00", "spfwjc": GOODS[1]}
    assert {name: detail[name] for name in ("xsfnsrsbh", "xsfmc", "gmfnsrsbh", "gmfmc", "lzfppzDm", "lzfphm")} == {
        "xsfnsrsbh": SELLER_ID, "xsfmc": "上海测试商贸有限公司", "gmfnsrsbh": BUYER_ID, "gmfmc": "深圳购买方科技有限公司",
        "lzfppzDm": "02", "lzfphm": blue["fphm"]}
    # The red invoice gave its amount back to the downloaded quota.
    assert seller.ok("CXSXED")["yxzsxed"] == "100000.00"


def test_a_partial_reversal_leaves_the_invoice_partly_reversed(seller):
    blue = issue_blue(seller)
    items = [form_line(fpspsl="-1", fpspdj="100", je="-100.00", se="-13.00")]
    form = apply(seller, form_request(blue, chyydm="02", items=items))
    red = red_invoice(seller, blue, form, [red_line(sl="-1", je="-100", se="-13")])
    assert seller.issue([red])[0]["status"] == "00"
    status = seller.ok("FPZTXXCX", {"nsrsbh": SELLER_ID, "fphm": blue["fphm"]})
    assert (status["fpzt"], status["yhcje"]) == ("03", "113.00")


def test_a_form_for_a_booked_invoice_waits_for_the_buyer(seller, http):
    blue = issue_blue(seller)
    book(http, blue)
    form = apply(seller, form_request(blue))
    assert form["hzqrxxztDm"] == "02"
    refused = seller.issue([red_invoice(seller, blue, form)])[0]
    assert refused["returnmsg"] == "红字确认单状态为02（销方录入待购方确认），不能开具红字发票（hzqrxxdbh）"
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "confirm"}) == (
        200, {"uuid": form["uuid"], "hzqrxxztDm": "04"})
    assert seller.issue([red_invoice(seller, blue, form)])[0]["status"] == "00"


def test_the_buyer_can_deny(seller, http):
    blue = issue_blue(seller)
    book(http, blue)
    form = apply(seller, form_request(blue))
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "deny"})[1]["hzqrxxztDm"] == "05"
    # A void form no longer holds the blue line: a new form may take it all.
    assert apply(seller, form_request(blue))["returncode"] == "00"


def test_a_buyer_entered_form_waits_for_the_seller_who_may_confirm_or_deny(seller, http):
    blue = issue_blue(seller)
    status, entered = control(http, "post", "red-forms", form_request(blue, lrfsf="1"))
    assert (status, entered["hzqrxxztDm"], entered["lrfsf"]) == (200, "03", "1")
    assert entered["hzqrdmxList"][0]["fpspsl"] == "-2" and entered["chyyDm"] == "01"
    assert act(seller, entered, "N")["hzqrxxztDm"] == "06"
    status, entered = control(http, "post", "red-forms", form_request(blue, lrfsf="1"))
    assert act(seller, entered, "Y")["hzqrxxztDm"] == "04"


def test_the_buyer_entry_names_the_seller_in_xsfnsrsbh_or_nsrsbh(seller, http):
    blue = issue_blue(seller)
    request = form_request(blue, lrfsf="1")
    del request["xsfnsrsbh"]
    assert control(http, "post", "red-forms", request)[0] == 400
    request["nsrsbh"] = SELLER_ID
    assert control(http, "post", "red-forms", request)[1]["hzqrxxztDm"] == "03"


def test_the_buyer_entry_is_checked_against_the_blue_invoice(seller, http):
    blue = issue_blue(seller)
    status, answer = control(http, "post", "red-forms", form_request(blue, lrfsf="1", gmfmc="别的公司"))
    assert (status, answer) == (400, {"returncode": "01", "error": "购买方名称与蓝字发票不符（gmfmc）"})
    assert RedForm.objects.count() == 0


def test_a_form_not_answered_within_72_hours_is_void(seller, http):
    blue = issue_blue(seller)
    book(http, blue)
    form = apply(seller, form_request(blue))
    control(http, "post", "clock", {"offset_s": 72 * 3600 + 1})
    later = str(int((time.time() + 72 * 3600 + 1) * 1000))
    detail = seller.call("CXQDHZQRDMX", {"xsfnsrsbh": SELLER_ID, "uuid": form["uuid"]}, timestamp=later).data
    assert detail["hzqrxxztDm"] == "07"
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "confirm"}) == (
        400, {"returncode": "17", "error": "红字确认单状态为07（作废（超72小时未确认）），不允许确认（qrlx）"})


def test_a_form_answered_just_before_72_hours_is_confirmed(seller, http):
    blue = issue_blue(seller)
    book(http, blue)
    form = apply(seller, form_request(blue))
    control(http, "post", "clock", {"offset_s": 72 * 3600 - 60})
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "confirm"})[1]["hzqrxxztDm"] == "04"


def test_the_last_party_that_acted_may_revoke(seller, http):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    assert act(seller, form, "C")["hzqrxxztDm"] == "08"
    book(http, blue)
    form = apply(seller, form_request(blue))
    control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "confirm"})
    refused = act(seller, form, "C")
    assert refused == {"returncode": "17", "returnmsg": "红字确认单状态为04（购销双方已确认），不允许撤销（qrlx）"}
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "revoke"})[1]["hzqrxxztDm"] == "09"


def test_the_seller_must_name_the_forms_number_with_its_uuid(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    wrong = {**form, "hzqrxxdbh": "9" * 20}
    assert act(seller, wrong, "C") == {"returncode": "01", "returnmsg": "红字确认单编号与uuid不符（hzqrdbh）"}
    assert act(seller, {**form, "hzqrxxdbh": ""}, "C")["returnmsg"] == "红字确认单编号与uuid不符（hzqrdbh）"
    assert RedForm.objects.get(uuid=form["uuid"]).state == "01"
    assert act(seller, form, "C")["hzqrxxztDm"] == "08"


def test_the_form_services_check_the_seller_in_xsfnsrsbh(seller):
    blue = issue_blue(seller)
    request = form_request(blue)
    request["xsfnsrsbh"] = BUYER_ID
    assert apply(seller, request) == {"returncode": "10", "returnmsg": "纳税人识别号与接入单位不符（xsfnsrsbh）"}
    form = apply(seller, form_request(blue))
    for fwbm, payload in (("QDHZQRDQR", {"uuid": form["uuid"], "hzqrdbh": form["hzqrxxdbh"], "qrlx": "C"}),
                          ("CXQDHZQRDMX", {"uuid": form["uuid"]}), ("CXQDHZQRDLB", {"yhjslx": "0"})):
        # The old name (nsrsbh) is not the seller's field any more.
        answer = seller.call(fwbm, {"nsrsbh": SELLER_ID, **payload}).data
        assert answer == {"returncode": "10", "returnmsg": "纳税人识别号与接入单位不符（xsfnsrsbh）"}, fwbm


def test_no_revoke_once_the_red_invoice_is_issued(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    seller.issue([red_invoice(seller, blue, form)])
    refused = act(seller, form, "C")
    assert refused["returncode"] == "17"


def test_the_tax_office_may_void_a_form_for_an_abnormal_voucher(seller, http):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    assert control(http, "post", f"red-forms/{form['uuid']}/abnormal")[1]["hzqrxxztDm"] == "10"
    listed = seller.ok("CXQDHZQRDLB", {"yhjslx": "0", "xsfnsrsbh": SELLER_ID, "hzqrxxztDm": "10"})
    assert (listed["total"], listed["list"][0]["uuid"], listed["list"][0]["hzqrxxztDm"]) == (1, form["uuid"], "10")


def test_it_lists_forms_by_state_and_date(seller):
    blue = issue_blue(seller)
    apply(seller, form_request(blue, items=[form_line(fpspsl="", fpspdj="", je="-10.00", se="-1.30")]))
    today = shanghai_now().strftime("%Y-%m-%d")
    query = {"yhjslx": "0", "xsfnsrsbh": SELLER_ID}
    assert seller.ok("CXQDHZQRDLB", {**query, "lrrqq": today, "lrrqz": today})["total"] == 1
    assert seller.ok("CXQDHZQRDLB", {**query, "lrrqq": "2099-01-01"})["total"] == 0
    assert seller.ok("CXQDHZQRDLB", {**query, "hzqrxxztDm": "04"})["total"] == 0
    assert seller.ok("CXQDHZQRDLB", {**query, "hzqrxxztDm": "01"})["total"] == 1
    assert seller.ok("CXQDHZQRDLB", {**query, "lzfphm": blue["fphm"]})["total"] == 1
    assert seller.ok("CXQDHZQRDLB", {**query, "gmfnsrsbh": SELLER_ID})["total"] == 0
    assert seller.ok("CXQDHZQRDLB", {**query, "gmfnsrsbh": BUYER_ID})["total"] == 1


def test_it_pages_the_list_with_page_number_and_page_size(seller):
    blue = issue_blue(seller)
    uuids = [apply(seller, form_request(blue, items=[form_line(fpspsl="", fpspdj="", je="-10.00", se="-1.30")]))["uuid"]
             for _ in range(3)]
    query = {"yhjslx": "0", "xsfnsrsbh": SELLER_ID, "pageSize": 2}
    first = seller.ok("CXQDHZQRDLB", {**query, "pageNumber": 1})
    second = seller.ok("CXQDHZQRDLB", {**query, "pageNumber": 2})
    assert (first["total"], second["total"]) == (3, 3)
    assert [item["uuid"] for item in first["list"] + second["list"]] == uuids
    assert seller.call("CXQDHZQRDLB", {**query, "pageNumber": 0}).data["returncode"] == "01"


def test_it_lists_as_buyer_the_forms_of_invoices_bought(seller, http):
    """yhjslx 1: the forms of invoices in which the calling unit is the buyer, whoever sold."""
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    other = issue_blue(seller, gmfnsrsbh="", gmfmc="李四", gmfzrrbz="Y")
    apply(seller, form_request(other))
    buyer = PlatformClient(http=http, nsrsbh=BUYER_ID, **register_unit(http, nsrsbh=BUYER_ID, nsrmc="深圳购买方科技有限公司"))
    # As a seller, the buyer's unit has no forms of its own.
    assert buyer.ok("CXQDHZQRDLB", {"yhjslx": "0", "xsfnsrsbh": BUYER_ID})["total"] == 0
    listed = buyer.ok("CXQDHZQRDLB", {"yhjslx": "1", "gmfnsrsbh": BUYER_ID})
    assert (listed["total"], [item["uuid"] for item in listed["list"]]) == (1, [form["uuid"]])
    assert {name: listed["list"][0][name] for name in ("xsfnsrsbh", "gmfnsrsbh", "lzfphm")} == {
        "xsfnsrsbh": SELLER_ID, "gmfnsrsbh": BUYER_ID, "lzfphm": blue["fphm"]}
    # As buyer, xsfnsrsbh names the seller to filter on.
    assert buyer.ok("CXQDHZQRDLB", {"yhjslx": "1", "gmfnsrsbh": BUYER_ID, "xsfnsrsbh": SELLER_ID})["total"] == 1
    assert buyer.ok("CXQDHZQRDLB", {"yhjslx": "1", "gmfnsrsbh": BUYER_ID, "xsfnsrsbh": BUYER_ID})["total"] == 0
    # A unit lists as buyer only what it bought itself.
    answer = buyer.call("CXQDHZQRDLB", {"yhjslx": "1", "gmfnsrsbh": SELLER_ID}).data
    assert answer == {"returncode": "10", "returnmsg": "纳税人识别号与接入单位不符（gmfnsrsbh）"}
    assert buyer.call("CXQDHZQRDLB", {"yhjslx": "2", "xsfnsrsbh": BUYER_ID}).data == {
        "returncode": "01", "returnmsg": "用户角色类型须为0（销方）或1（购方）（yhjslx）"}


@pytest.mark.parametrize(
    ("code", "chyydm", "item", "message"),
    [
        (GOODS, "02", {"fpspsl": "-1", "fpspdj": "90", "je": "-90.00", "se": "-11.70"},
         "第1行：销货退回只能变更数量，单价须与蓝字发票一致（hzqrdmxList[0].fpspdj）"),
        (GOODS, "03", {"fpspsl": "", "fpspdj": "", "je": "-90.00", "se": "-11.70"},
         "第1行：货物和劳务类编码不能以服务中止（03）红冲（hzqrdmxList[0].sphfwssflhbbm）"),
        (SERVICE, "02", {"fpspsl": "-1", "fpspdj": "100", "je": "-100.00", "se": "-6.00"},
         "第1行：服务类编码不能以销货退回（02）红冲（hzqrdmxList[0].sphfwssflhbbm）"),
        (GOODS, "04", {"fpspsl": "-1", "fpspdj": "", "je": "-90.00", "se": "-11.70"},
         "第1行：销售折让不得填写数量和单价（hzqrdmxList[0].fpspsl）"),
        (GOODS, "01", {"fpspsl": "-3", "fpspdj": "100", "je": "-300.00", "se": "-39.00"},
         "第1行：红冲金额超过蓝字发票第1行剩余可红冲金额200.00（hzqrdmxList[0].je）"),
    ],
)
def test_it_refuses_forms_against_the_red_letter_rules(seller, code, chyydm, item, message):
    blue = issue_blue(seller, [line(code, name="项目", sl="2", dj="100")])
    item = form_line(sphfwssflhbbm=code[0], sl1=str(code[2]), **item)
    assert apply(seller, form_request(blue, chyydm=chyydm, items=[item])) == {"returncode": "16", "returnmsg": message}


def test_it_refuses_a_line_rate_other_than_the_blue_lines(seller):
    blue = issue_blue(seller)
    answer = apply(seller, form_request(blue, items=[form_line(sl1="0.09", se="-18.00")]))
    assert answer == {"returncode": "16", "returnmsg": "第1行：税率与蓝字发票不符（hzqrdmxList[0].sl1）"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lzhjje": "201.00"}, "蓝字发票合计金额与蓝字发票不符（lzhjje）"),
        ({"lzhjje": ""}, "蓝字发票合计金额与蓝字发票不符（lzhjje）"),
        ({"lzhjse": "25.00"}, "蓝字发票合计税额与蓝字发票不符（lzhjse）"),
        ({"gmfnsrsbh": SELLER_ID}, "购买方纳税人识别号与蓝字发票不符（gmfnsrsbh）"),
        ({"gmfmc": "别的公司"}, "购买方名称与蓝字发票不符（gmfmc）"),
        ({"lzkprq": "2020-01-01 00:00:00"}, "蓝字发票开票日期与蓝字发票不符（lzkprq）"),
        ({"lzfppzDm": "01"}, "蓝字发票票种代码与蓝字发票不符（lzfppzDm）"),
        ({"sfzzfpbz": "Y"}, "数电发票的是否纸质发票标志须为N（sfzzfpbz）"),
        ({"xsfmc": ""}, "销售方名称不能为空（xsfmc）"),
        ({"chyyDm": "05"}, "红冲原因代码须为01至04（chyyDm）"),
    ],
)
def test_it_refuses_a_form_whose_blue_facts_are_not_the_invoices(seller, fields, message):
    blue = issue_blue(seller)
    assert apply(seller, form_request(blue, **fields)) == {"returncode": "01", "returnmsg": message}
    assert RedForm.objects.count() == 0


def test_it_refuses_a_form_with_the_old_names(seller):
    blue = issue_blue(seller)
    request = form_request(blue)
    request["mxList"] = request.pop("hzqrdmxList")
    assert apply(seller, request) == {"returncode": "01", "returnmsg": "红字确认单明细不能为空（hzqrdmxList）"}


def test_the_sum_over_forms_never_exceeds_the_blue_line(seller):
    blue = issue_blue(seller)
    half = [form_line(fpspsl="", fpspdj="", je="-150.00", se="-19.50")]
    assert apply(seller, form_request(blue, items=half))["returncode"] == "00"
    assert apply(seller, form_request(blue, items=half)) == {
        "returncode": "16", "returnmsg": "第1行：红冲金额超过蓝字发票第1行剩余可红冲金额50.00（hzqrdmxList[0].je）"}


def test_a_margin_taxed_invoice_is_reversed_only_in_full(seller):
    blue = issue_blue(seller, [line(AGRI, name="大米", sl="2", dj="100")], cezslxDm="01")
    part = [form_line(fpspsl="", fpspdj="", je="-100.00", se="-9.00")]
    assert apply(seller, form_request(blue, items=part)) == {"returncode": "16",
                                                             "returnmsg": "差额征税发票只能全额红冲（hzqrdmxList）"}
    full = [form_line(fpspsl="", fpspdj="", je="-200.00", se="-18.00")]
    assert apply(seller, form_request(blue, items=full))["hzqrxxztDm"] == "01"


def test_a_not_margin_taxed_invoice_may_be_reversed_in_part(seller):
    blue = issue_blue(seller, [line(AGRI, name="大米", sl="2", dj="100")], cezslxDm="")
    part = [form_line(fpspsl="", fpspdj="", je="-100.00", se="-9.00")]
    assert apply(seller, form_request(blue, items=part))["hzqrxxztDm"] == "01"


def test_a_red_invoice_must_match_its_form(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    red = red_invoice(seller, blue, form, [red_line(sl="-1", dj="200")])
    assert seller.issue([red])[0]["returnmsg"] == (
        "第1行：与红字确认单明细不符（fpmxList[0].sl）；第1行：与红字确认单明细不符（fpmxList[0].dj）")


def test_a_red_invoice_needs_the_forms_uuid(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    missing = red_invoice(seller, blue, form, hzqrduuid="")
    assert seller.issue([missing])[0]["returnmsg"] == "红字发票须填写红字确认单uuid（hzqrduuid）"
    # Another form's uuid (of another blue invoice) with this form's number.
    other = apply(seller, form_request(issue_blue(seller)))
    assert other["returncode"] == "00", other
    wrong = red_invoice(seller, blue, form, hzqrduuid=other["uuid"])
    assert seller.issue([wrong])[0]["returnmsg"] == "红字确认单uuid与红字确认单编号不符（hzqrduuid）"
    assert seller.issue([red_invoice(seller, blue, form)])[0]["status"] == "00"


def test_a_red_line_names_the_forms_blue_line(seller):
    blue = issue_blue(seller, [line(), line(GOODS, name="扫描仪", sl="1", dj="50")])
    form = apply(seller, form_request(blue, items=[form_line(2, fpspsl="-1", fpspdj="50", je="-50.00", se="-6.50")]))
    assert form["returncode"] == "00", form
    reversal = {"name": "扫描仪", "sl": "-1", "dj": "50", "je": "-50", "se": "-6.50"}
    missing = red_line(**reversal)
    del missing["dylzfpmxxh"]
    message = seller.issue([red_invoice(seller, blue, form, [missing])])[0]["returnmsg"]
    assert message == "第1行：红字发票须填写对应蓝字发票明细序号（fpmxList[0].dylzfpmxxh）"
    wrong = red_line(1, **reversal)
    message = seller.issue([red_invoice(seller, blue, form, [wrong])])[0]["returnmsg"]
    assert message == "第1行：对应蓝字发票明细序号与红字确认单不符（fpmxList[0].dylzfpmxxh）"
    right = red_line(2, **reversal)
    assert seller.issue([red_invoice(seller, blue, form, [right])])[0]["status"] == "00"


def test_a_special_invoice_is_reversed_only_by_a_special_invoice(seller):
    blue = issue_blue(seller, fppz="01")
    form = apply(seller, form_request(blue))
    result = seller.issue([red_invoice(seller, blue, form, fppz="02")])[0]
    assert result["returnmsg"] == "增值税专用发票只能以红字专用发票红冲（fppz）"
    assert seller.issue([red_invoice(seller, blue, form, fppz="01")])[0]["status"] == "00"


def test_a_form_is_used_for_one_red_invoice_only(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    assert seller.issue([red_invoice(seller, blue, form)])[0]["status"] == "00"
    again = seller.issue([red_invoice(seller, blue, form)])[0]
    assert again["returnmsg"] == "该红字确认单已开具红字发票（hzqrxxdbh）"


def test_a_red_invoice_needs_positive_price_and_negative_amounts(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    red = red_invoice(seller, blue, form, [red_line(sl="2", je="200", se="26")])
    message = seller.issue([red])[0]["returnmsg"]
    assert message.startswith("第1行：红字发票金额须为负数（fpmxList[0].je）；第1行：红字发票数量须为负数（fpmxList[0].sl）")


def test_a_red_remark_is_limited_to_382_characters(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    red = red_invoice(seller, blue, form, bz="备" * 383)
    assert seller.issue([red])[0]["returnmsg"] == "备注不能超过382个字符（bz）"


def test_a_red_invoice_needs_an_existing_form_and_blue_invoice(seller):
    blue = issue_blue(seller)
    no_form = {"hzqrxxdbh": "2" * 20, "uuid": "3" * 32}
    assert seller.issue([red_invoice(seller, blue, no_form)])[0]["returnmsg"] == "红字确认单不存在（hzqrxxdbh）"
    no_blue = {**blue, "fphm": "1" * 20}
    assert seller.issue([red_invoice(seller, no_blue, no_form)])[0]["returnmsg"] == "对应蓝字发票不存在（dylzfphm）"


def test_an_unknown_seller_in_the_buyer_entry_is_named_by_the_field_it_came_in(seller, http):
    """It said （nsrsbh） although the buyer had sent the seller in xsfnsrsbh."""
    blue = issue_blue(seller)
    status, answer = control(http, "post", "red-forms", {**form_request(blue, lrfsf="1"), "xsfnsrsbh": "91110000MA0000000X"})
    assert (status, answer) == (400, {"returncode": "10", "error": "销售方纳税人识别号不存在（xsfnsrsbh）"})
