"""Red-letter confirmation forms: states 01–10, 72 h expiry, reason rules, red invoices against forms."""

import time
from decimal import Decimal

import pytest

from tests.sandbox.conftest import next_number
from tests.sandbox.platform import AGRI, GOODS, SELLER_ID, SERVICE, control, invoice, line, shanghai_now

pytestmark = pytest.mark.django_db


def issue_blue(seller, lines=None, **fields) -> str:
    number = next_number(seller)
    assert seller.issue([invoice(number, lines, **fields)])[0]["status"] == "00"
    return number


def form_request(blue: str, *, chyydm="01", items=None) -> dict:
    items = items if items is not None else [
        {"lzmxxh": 1, "xmmc": "打印机", "sphfwssflhbbm": GOODS[0], "sl": "-2", "dj": "100", "je": "-200.00",
         "slv": "0.13", "se": "-26.00"}
    ]
    return {"nsrsbh": SELLER_ID, "lrfsf": "0", "lzfphm": blue, "chyydm": chyydm,
            "hzcxje": f'{sum(Decimal(i["je"]) for i in items):.2f}',
            "hzcxse": f'{sum(Decimal(i["se"]) for i in items):.2f}', "mxList": items}


def apply(seller, request) -> dict:
    return seller.call("QDHZQRDSQ", request).data


def red_invoice(seller, blue: str, form_number: str, **fields) -> dict:
    red_line = line(sl="-2", dj="100", je="-200", se="-26")
    return invoice(next_number(seller), [red_line], red=True, dylzfphm=blue, hzqrxxdbh=form_number, **fields)


def test_a_form_for_an_unbooked_invoice_needs_no_confirmation_and_allows_the_red_invoice(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    assert form["returncode"] == "00" and form["hzqrxxztdm"] == "01"
    assert len(form["hzqrxxdbh"]) == 20 and len(form["uuid"]) == 32
    red = red_invoice(seller, blue, form["hzqrxxdbh"])
    assert seller.issue([red])[0]["status"] == "00"
    status = seller.ok("FPZTXXCX", {"nsrsbh": SELLER_ID, "fphm": blue})
    assert (status["fpzt"], status["yhcje"]) == ("02", "226.00")
    detail = seller.ok("CXQDHZQRDMX", {"nsrsbh": SELLER_ID, "uuid": form["uuid"]})
    assert (detail["ykjhzfpbz"], detail["chyydm"], detail["mxList"][0]["je"]) == ("Y", "01", "-200.00")
    # The red invoice gave its amount back to the downloaded quota.
    assert seller.ok("CXSXED")["yxzsxed"] == "100000.00"


def test_a_partial_reversal_leaves_the_invoice_partly_reversed(seller):
    blue = issue_blue(seller)
    items = [{"lzmxxh": 1, "sphfwssflhbbm": GOODS[0], "sl": "-1", "dj": "100", "je": "-100.00", "slv": "0.13",
              "se": "-13.00"}]
    form = apply(seller, form_request(blue, chyydm="02", items=items))
    red = invoice(next_number(seller), [line(sl="-1", dj="100", je="-100", se="-13")], red=True, dylzfphm=blue,
                  hzqrxxdbh=form["hzqrxxdbh"])
    assert seller.issue([red])[0]["status"] == "00"
    status = seller.ok("FPZTXXCX", {"nsrsbh": SELLER_ID, "fphm": blue})
    assert (status["fpzt"], status["yhcje"]) == ("03", "113.00")


def test_a_form_for_a_booked_invoice_waits_for_the_buyer(seller, http):
    blue = issue_blue(seller)
    control(http, "post", f"invoices/{blue}/book")
    form = apply(seller, form_request(blue))
    assert form["hzqrxxztdm"] == "02"
    refused = seller.issue([red_invoice(seller, blue, form["hzqrxxdbh"])])[0]
    assert refused["returnmsg"] == "红字确认单状态为02（销方录入待购方确认），不能开具红字发票（hzqrxxdbh）"
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "confirm"}) == (
        200, {"uuid": form["uuid"], "hzqrxxztdm": "04"})
    assert seller.issue([red_invoice(seller, blue, form["hzqrxxdbh"])])[0]["status"] == "00"


def test_the_buyer_can_deny(seller, http):
    blue = issue_blue(seller)
    control(http, "post", f"invoices/{blue}/book")
    form = apply(seller, form_request(blue))
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "deny"})[1]["hzqrxxztdm"] == "05"
    # A void form no longer holds the blue line: a new form may take it all.
    assert apply(seller, form_request(blue))["returncode"] == "00"


def test_a_buyer_entered_form_waits_for_the_seller_who_may_confirm_or_deny(seller, http):
    blue = issue_blue(seller)
    status, entered = control(http, "post", "red-forms", form_request(blue))
    assert (status, entered["hzqrxxztdm"], entered["lrfsf"]) == (200, "03", "1")
    assert seller.ok("QDHZQRDQR", {"nsrsbh": SELLER_ID, "uuid": entered["uuid"], "qrlx": "N"})["hzqrxxztdm"] == "06"
    status, entered = control(http, "post", "red-forms", form_request(blue))
    assert seller.ok("QDHZQRDQR", {"nsrsbh": SELLER_ID, "uuid": entered["uuid"], "qrlx": "Y"})["hzqrxxztdm"] == "04"


def test_a_form_not_answered_within_72_hours_is_void(seller, http):
    blue = issue_blue(seller)
    control(http, "post", f"invoices/{blue}/book")
    form = apply(seller, form_request(blue))
    control(http, "post", "clock", {"offset_s": 72 * 3600 + 1})
    later = str(int((time.time() + 72 * 3600 + 1) * 1000))
    detail = seller.call("CXQDHZQRDMX", {"nsrsbh": SELLER_ID, "uuid": form["uuid"]}, timestamp=later).data
    assert detail["hzqrxxztdm"] == "07"
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "confirm"}) == (
        400, {"returncode": "17", "error": "红字确认单状态为07（作废（超72小时未确认）），不允许确认（qrlx）"})


def test_a_form_answered_just_before_72_hours_is_confirmed(seller, http):
    blue = issue_blue(seller)
    control(http, "post", f"invoices/{blue}/book")
    form = apply(seller, form_request(blue))
    control(http, "post", "clock", {"offset_s": 72 * 3600 - 60})
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "confirm"})[1]["hzqrxxztdm"] == "04"


def test_the_last_party_that_acted_may_revoke(seller, http):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    assert seller.ok("QDHZQRDQR", {"nsrsbh": SELLER_ID, "uuid": form["uuid"], "qrlx": "C"})["hzqrxxztdm"] == "08"
    control(http, "post", f"invoices/{blue}/book")
    form = apply(seller, form_request(blue))
    control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "confirm"})
    refused = seller.call("QDHZQRDQR", {"nsrsbh": SELLER_ID, "uuid": form["uuid"], "qrlx": "C"}).data
    assert refused == {"returncode": "17", "returnmsg": "红字确认单状态为04（购销双方已确认），不允许撤销（qrlx）"}
    assert control(http, "post", f"red-forms/{form['uuid']}/buyer", {"action": "revoke"})[1]["hzqrxxztdm"] == "09"


def test_no_revoke_once_the_red_invoice_is_issued(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    seller.issue([red_invoice(seller, blue, form["hzqrxxdbh"])])
    refused = seller.call("QDHZQRDQR", {"nsrsbh": SELLER_ID, "uuid": form["uuid"], "qrlx": "C"}).data
    assert refused["returncode"] == "17"


def test_the_tax_office_may_void_a_form_for_an_abnormal_voucher(seller, http):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    assert control(http, "post", f"red-forms/{form['uuid']}/abnormal")[1]["hzqrxxztdm"] == "10"
    listed = seller.ok("CXQDHZQRDLB", {"nsrsbh": SELLER_ID, "hzqrxxztdm": "10"})
    assert (listed["total"], listed["list"][0]["uuid"]) == (1, form["uuid"])


def test_it_lists_forms_by_state_and_date(seller):
    blue = issue_blue(seller)
    apply(seller, form_request(blue, items=[{"lzmxxh": 1, "sphfwssflhbbm": GOODS[0], "je": "-10.00", "slv": "0.13",
                                             "se": "-1.30"}]))
    today = shanghai_now().strftime("%Y-%m-%d")
    assert seller.ok("CXQDHZQRDLB", {"nsrsbh": SELLER_ID, "lrrqq": today, "lrrqz": today})["total"] == 1
    assert seller.ok("CXQDHZQRDLB", {"nsrsbh": SELLER_ID, "lrrqq": "2099-01-01"})["total"] == 0
    assert seller.ok("CXQDHZQRDLB", {"nsrsbh": SELLER_ID, "hzqrxxztdm": "04"})["total"] == 0


@pytest.mark.parametrize(
    ("code", "chyydm", "item", "message"),
    [
        (GOODS, "02", {"sl": "-1", "dj": "90", "je": "-90.00", "se": "-11.70"},
         "第1行：销货退回只能变更数量，单价须与蓝字发票一致（mxList[0].dj）"),
        (GOODS, "03", {"sl": "", "dj": "", "je": "-90.00", "se": "-11.70"},
         "第1行：货物和劳务类编码不能以服务中止（03）红冲（mxList[0].sphfwssflhbbm）"),
        (SERVICE, "02", {"sl": "-1", "dj": "100", "je": "-100.00", "se": "-6.00"},
         "第1行：服务类编码不能以销货退回（02）红冲（mxList[0].sphfwssflhbbm）"),
        (GOODS, "04", {"sl": "-1", "dj": "", "je": "-90.00", "se": "-11.70"},
         "第1行：销售折让不得填写数量和单价（mxList[0].sl）"),
        (GOODS, "01", {"sl": "-3", "dj": "100", "je": "-300.00", "se": "-39.00"},
         "第1行：红冲金额超过蓝字发票第1行剩余可红冲金额200.00（mxList[0].je）"),
    ],
)
def test_it_refuses_forms_against_the_red_letter_rules(seller, code, chyydm, item, message):
    blue = issue_blue(seller, [line(code, name="项目", sl="2", dj="100")])
    item = {"lzmxxh": 1, "sphfwssflhbbm": code[0], "slv": str(code[2]), **item}
    assert apply(seller, form_request(blue, chyydm=chyydm, items=[item])) == {"returncode": "16", "returnmsg": message}


def test_the_sum_over_forms_never_exceeds_the_blue_line(seller):
    blue = issue_blue(seller)
    half = [{"lzmxxh": 1, "sphfwssflhbbm": GOODS[0], "je": "-150.00", "slv": "0.13", "se": "-19.50"}]
    assert apply(seller, form_request(blue, items=half))["returncode"] == "00"
    assert apply(seller, form_request(blue, items=half)) == {
        "returncode": "16", "returnmsg": "第1行：红冲金额超过蓝字发票第1行剩余可红冲金额50.00（mxList[0].je）"}


def test_a_margin_taxed_invoice_is_reversed_only_in_full(seller):
    blue = issue_blue(seller, [line(AGRI, name="大米", sl="2", dj="100")], cezsbz="Y")
    part = [{"lzmxxh": 1, "sphfwssflhbbm": AGRI[0], "je": "-100.00", "slv": "0.09", "se": "-9.00"}]
    assert apply(seller, form_request(blue, items=part)) == {"returncode": "16",
                                                             "returnmsg": "差额征税发票只能全额红冲（mxList）"}
    full = [{"lzmxxh": 1, "sphfwssflhbbm": AGRI[0], "je": "-200.00", "slv": "0.09", "se": "-18.00"}]
    assert apply(seller, form_request(blue, items=full))["hzqrxxztdm"] == "01"


def test_a_red_invoice_must_match_its_form(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    red = invoice(next_number(seller), [line(sl="-1", dj="200", je="-200", se="-26")], red=True, dylzfphm=blue,
                  hzqrxxdbh=form["hzqrxxdbh"])
    assert seller.issue([red])[0]["returnmsg"] == (
        "第1行：与红字确认单明细不符（fpmxList[0].sl）；第1行：与红字确认单明细不符（fpmxList[0].dj）")


def test_a_special_invoice_is_reversed_only_by_a_special_invoice(seller):
    blue = issue_blue(seller, fppz="01")
    form = apply(seller, form_request(blue))
    result = seller.issue([red_invoice(seller, blue, form["hzqrxxdbh"], fppz="02")])[0]
    assert result["returnmsg"] == "增值税专用发票只能以红字专用发票红冲（fppz）"
    assert seller.issue([red_invoice(seller, blue, form["hzqrxxdbh"], fppz="01")])[0]["status"] == "00"


def test_a_form_is_used_for_one_red_invoice_only(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    assert seller.issue([red_invoice(seller, blue, form["hzqrxxdbh"])])[0]["status"] == "00"
    again = seller.issue([red_invoice(seller, blue, form["hzqrxxdbh"])])[0]
    assert again["returnmsg"] == "该红字确认单已开具红字发票（hzqrxxdbh）"


def test_a_red_invoice_needs_positive_price_and_negative_amounts(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    red = invoice(next_number(seller), [line(sl="2", dj="100", je="200", se="26")], red=True, dylzfphm=blue,
                  hzqrxxdbh=form["hzqrxxdbh"])
    message = seller.issue([red])[0]["returnmsg"]
    assert message.startswith("第1行：红字发票金额须为负数（fpmxList[0].je）；第1行：红字发票数量须为负数（fpmxList[0].sl）")


def test_a_red_remark_is_limited_to_382_characters(seller):
    blue = issue_blue(seller)
    form = apply(seller, form_request(blue))
    red = red_invoice(seller, blue, form["hzqrxxdbh"], bz="备" * 383)
    assert seller.issue([red])[0]["returnmsg"] == "备注不能超过382个字符（bz）"


def test_a_red_invoice_needs_an_existing_form_and_blue_invoice(seller):
    blue = issue_blue(seller)
    assert seller.issue([red_invoice(seller, blue, "2" * 20)])[0]["returnmsg"] == "红字确认单不存在（hzqrxxdbh）"
    assert seller.issue([red_invoice(seller, "1" * 20, "2" * 20)])[0]["returnmsg"] == "对应蓝字发票不存在（dylzfphm）"
