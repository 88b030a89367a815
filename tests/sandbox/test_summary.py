"""SCFPHZQRXX / CXFPHZQRXX (汇总确认) on the sandbox, through its gateway with real envelopes."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests.sandbox.platform import SHANGHAI, control, invoice, line
from tests.sandbox.summary_support import issue_at, last_month_start, month_text

pytestmark = pytest.mark.django_db
TAX_OFFICE = "13100000000"  # Shanghai: "1" + province 31 + "00000000"


def request(platform, month: str, ywlx: str = "0", **fields) -> dict:
    return {"xsfnsrsbh": platform.nsrsbh, "xsfsjswjgdm": TAX_OFFICE, "ywlx": ywlx, "ptbh": platform.jrdwptbh,
            "yf": month, **fields}


def figures(blue=(0, "0.00", "0.00"), red=(0, "0.00", "0.00")) -> dict:
    return {"lzfpsl": blue[0], "lzfpje": blue[1], "lzfpse": blue[2], "hzfpsl": red[0], "hzfpje": red[1], "hzfpse": red[2]}


@pytest.fixture
def last_month(platform, http):
    """Two blue invoices issued last month: 100.00 + 13.00 and 250.00 + 32.50."""
    start = last_month_start()
    issued = issue_at(platform, http, start + timedelta(days=3, hours=10), ["100", "250"])
    return month_text(start), issued


def test_the_query_answers_the_platforms_figures_and_invoices_of_the_month(platform, last_month):
    month, issued = last_month
    answer = platform.ok("CXFPHZQRXX", request(platform, month))
    assert {k: answer[k] for k in figures()} == figures(blue=(2, "350.00", "45.50"))
    assert (answer["qrzt"], answer["qrsj"], answer["total"]) == ("0", "", 2)
    assert [(i["fphm"], i["lzfpbz"], i["hjje"], i["hjse"]) for i in answer["fpList"]] == [
        (issued[0]["fphm"], "0", "100.00", "13.00"), (issued[1]["fphm"], "0", "250.00", "32.50")]
    second = platform.ok("CXFPHZQRXX", request(platform, month, pageNumber=2, pageSize=1))
    assert [i["fphm"] for i in second["fpList"]] == [issued[1]["fphm"]] and second["total"] == 2


def test_a_confirmation_with_the_platforms_figures_is_taken_once(platform, last_month):
    month, _ = last_month
    answer = platform.ok("SCFPHZQRXX", request(platform, month, **figures(blue=(2, "350.00", "45.50"))))
    assert answer["qrzt"] == "1" and answer["qrsj"]
    assert platform.ok("CXFPHZQRXX", request(platform, month))["qrzt"] == "1"
    again = platform.call("SCFPHZQRXX", request(platform, month, **figures(blue=(2, "350.00", "45.50"))))
    assert (again.returncode, again.data["returnmsg"]) == ("17", f"{month}已汇总确认，如需重新确认请先取消（yf）")
    assert platform.ok("SCFPHZQRXX", request(platform, month, "1"))["qrzt"] == "2"
    assert platform.ok("CXFPHZQRXX", request(platform, month))["qrzt"] == "2"
    assert platform.ok("SCFPHZQRXX", request(platform, month, **figures(blue=(2, "350.00", "45.50"))))["qrzt"] == "1"


@pytest.mark.parametrize(("sent", "message"), [
    (figures(blue=(1, "350.00", "45.50")), "蓝字发票数量与平台汇总不符：平台为2，上传为1（lzfpsl）"),
    (figures(blue=(2, "350.01", "45.50")), "蓝字发票金额与平台汇总不符：平台为350.00，上传为350.01（lzfpje）"),
    (figures(blue=(2, "350.00", "45.50"), red=(1, "-10.00", "-1.30")), "红字发票数量与平台汇总不符：平台为0，上传为1（hzfpsl）"),
    ({**figures(blue=(2, "350.00", "45.50")), "lzfpse": ""}, "业务类型为0（确认）时蓝字发票税额必填（lzfpse）"),
    ({**figures(blue=(2, "350.00", "45.50")), "lzfpsl": "两"}, "蓝字发票数量须为非负整数（lzfpsl）"),
])
def test_a_confirmation_whose_figures_differ_is_refused_naming_the_field(platform, last_month, sent, message):
    month, _ = last_month
    answer = platform.call("SCFPHZQRXX", request(platform, month, **sent))
    assert (answer.returncode, answer.data["returnmsg"]) == ("01", message)
    assert platform.ok("CXFPHZQRXX", request(platform, month))["qrzt"] == "0"


def test_a_month_not_yet_ended_cannot_be_confirmed(platform):
    now = datetime.now(SHANGHAI)
    month = now.strftime("%Y-%m")
    platform.download_quota()
    (number,) = platform.numbers(1)
    assert platform.issue([invoice(number, [line(sl="1", dj="10")])])[0]["status"] == "00"
    # The query shows the month so far (this invoice is the platform's own record of it).
    answer = platform.ok("CXFPHZQRXX", request(platform, month))
    assert (answer["lzfpsl"], answer["lzfpje"], answer["fpList"][0]["fphm"]) == (1, "10.00", number)
    refused = platform.call("SCFPHZQRXX", request(platform, month, **figures(blue=(1, "10.00", "1.30"))))
    assert (refused.returncode, refused.data["returnmsg"]) == ("16", f"{month}尚未结束，月份结束后才能汇总确认（yf）")


def test_a_month_is_confirmed_once_its_last_day_is_over_on_the_platforms_clock(platform, http):
    now = datetime.now(SHANGHAI)
    month = now.strftime("%Y-%m")
    next_month = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=SHANGHAI)
    control(http, "post", "clock", {"now": next_month.isoformat()})
    stamp = str(int(next_month.timestamp() * 1000))
    answer = platform.call("SCFPHZQRXX", request(platform, month, **figures()), timestamp=stamp)
    assert (answer.returncode, answer.data["qrzt"]) == ("00", "1")


@pytest.mark.parametrize(("change", "code", "message"), [
    ({"yf": "2026-13"}, "01", "月份格式须为yyyy-MM（yf）"),
    ({"xsfsjswjgdm": "3100"}, "01", "销售方省级税务机关代码须为以1开头的11位数字（xsfsjswjgdm）"),
    ({"ptbh": "OTHER"}, "01", "平台编号与接入单位不符（ptbh）"),
    ({"ywlx": "2"}, "01", "业务类型须为0（确认）或1（取消）（ywlx）"),
    ({"xsfnsrsbh": "91310000MA1K000099"}, "10", "纳税人识别号与接入单位不符（xsfnsrsbh）"),
])
def test_bad_requests_are_refused_in_chinese(platform, last_month, change, code, message):
    month, _ = last_month
    for fwbm in ("CXFPHZQRXX", "SCFPHZQRXX"):
        answer = platform.call(fwbm, {**request(platform, month, **figures(blue=(2, "350.00", "45.50"))), **change})
        assert (answer.returncode, answer.data["returnmsg"]) == (code, message), fwbm


def test_cancelling_a_month_never_confirmed_is_refused(platform, last_month):
    month, _ = last_month
    answer = platform.call("SCFPHZQRXX", request(platform, month, "1"))
    assert (answer.returncode, answer.data["returnmsg"]) == ("18", f"{month}尚未汇总确认，无需取消（yf）")


def test_red_invoices_count_with_their_negative_amounts(platform, last_month):
    from sandbox.models import UploadedInvoice  # the platform's own record, to mark one red

    month, issued = last_month
    UploadedInvoice.objects.filter(fphm=issued[1]["fphm"]).update(lzfpbz="1", hjje=Decimal("-250.00"),
                                                                  jshj=Decimal("-282.50"))
    answer = platform.ok("CXFPHZQRXX", request(platform, month))
    assert {k: answer[k] for k in figures()} == figures(blue=(1, "100.00", "13.00"), red=(1, "-250.00", "-32.50"))
