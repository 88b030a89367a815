"""Numbers, quota, taxpayer info, rates, codes, upload/result cycle and invoice status."""

from datetime import datetime

import pytest

from sandbox.models import NumberBlock, Unit, UploadedInvoice
from tests.sandbox.conftest import next_number
from tests.sandbox.platform import SELLER_ID, SHANGHAI, control, invoice, shanghai_now

pytestmark = pytest.mark.django_db


def test_it_hands_out_contiguous_blocks_per_unit_and_year(platform):
    first = platform.ok("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 3, "ywlsh": "B1"})
    prefix = f"{shanghai_now().year % 100:02d}3170"
    assert first == {"returncode": "00", "returnmsg": "成功", "qshm": prefix + "00000000000001",
                     "zzhm": prefix + "00000000000003", "lysl": 3}
    second = platform.ok("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 2, "ywlsh": "B2"})
    assert (second["qshm"], second["zzhm"]) == (prefix + "00000000000004", prefix + "00000000000005")


def test_it_returns_the_same_block_for_the_same_ywlsh(platform):
    first = platform.ok("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 3, "ywlsh": "B1"})
    assert platform.ok("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 3, "ywlsh": "B1"}) == first
    other = platform.call("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 4, "ywlsh": "B1"})
    assert other.data == {"returncode": "11", "returnmsg": "业务流水号已使用且领用数量不同（ywlsh）"}


@pytest.mark.parametrize("count", [0, 5001, -1])
def test_it_refuses_a_block_size_outside_1_to_5000(platform, count):
    answer = platform.call("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": count, "ywlsh": "B1"})
    assert answer.data == {"returncode": "01", "returnmsg": "领用数量须为1至5000（lysl）"}


@pytest.mark.parametrize("count", ["1", "x", 1.0, True, None, [1]])
def test_it_types_lysl_strictly(platform, count):
    """Regression (issue 13, row 12): "lysl": "1" (a string) was accepted; counts are JSON numbers."""
    answer = platform.call("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": count, "ywlsh": "B1"})
    assert answer.data == {"returncode": "01", "returnmsg": "领用数量须为整数（JSON 数字，不能是字符串或小数）（lysl）"}
    assert NumberBlock.objects.count() == 0


@pytest.mark.parametrize(("field", "value"), [("pageNo", "1"), ("pageSize", 3.0)])
def test_it_types_page_numbers_strictly(platform, field, value):
    answer = platform.call("CXSSFLBM", {"pageNo": 1, "pageSize": 3, field: value})
    assert answer.data["returncode"] == "01"
    assert f"（{field}）" in answer.data["returnmsg"]


def test_it_accounts_for_quota(platform):
    assert platform.ok("CXSXED") == {"returncode": "00", "returnmsg": "成功", "zsxed": "10000000.00",
                                     "yxzsxed": "0.00", "kyxzsxed": "10000000.00", "ysyed": "0.00"}
    download = {"nsrsbh": SELLER_ID, "ptbh": platform.jrdwptbh, "sqlx": "0", "sqed": "1000.00", "ywlsh": "Q1"}
    assert platform.ok("XZTHSXED", download) == {"returncode": "00", "returnmsg": "成功", "sqlx": "0",
                                                "sqed": "1000.00", "yxzsxed": "1000.00"}
    assert platform.ok("XZTHSXED", download)["yxzsxed"] == "1000.00"  # same ywlsh: same answer, once
    platform.ok("XZTHSXED", {"nsrsbh": SELLER_ID, "ptbh": platform.jrdwptbh, "sqlx": "1", "sqed": "400.00",
                             "ywlsh": "Q2"})
    number = platform.numbers(1)[0]
    assert platform.issue([invoice(number)])[0]["status"] == "00"
    quota = platform.ok("CXSXED")
    assert (quota["yxzsxed"], quota["kyxzsxed"], quota["ysyed"]) == ("374.00", "9999400.00", "226.00")


def test_it_refuses_quota_beyond_what_is_left(platform):
    control(platform.http, "post", "units", {"nsrsbh": SELLER_ID, "nsrmc": "x", "zsxed": "500.00"})
    answer = platform.call("XZTHSXED", {"nsrsbh": SELLER_ID, "ptbh": platform.jrdwptbh, "sqlx": "0",
                                        "sqed": "500.01", "ywlsh": "Q1"})
    assert answer.data == {"returncode": "12", "returnmsg": "额度不足：可下载额度为500.00（sqed）"}
    answer = platform.call("XZTHSXED", {"nsrsbh": SELLER_ID, "ptbh": platform.jrdwptbh, "sqlx": "1",
                                        "sqed": "1.00", "ywlsh": "Q2"})
    assert answer.data == {"returncode": "12", "returnmsg": "额度不足：已下载未使用额度为0.00（sqed）"}


def test_it_reports_taxpayer_rates_and_codes(platform):
    assert [r["slv"] for r in platform.ok("CXKYSL", {})["slList"]] == [
        "0.13", "0.09", "0.06", "0.05", "0.03", "0.015", "0.01", "0.00"]
    codes = platform.ok("CXSSFLBM", {"nsrsbh": SELLER_ID, "sjc": "", "sjswjgdm": "13100000000", "pageNo": 1,
                                     "pageSize": 3})
    assert (codes["total"], codes["sjc"]) == (4205, "20200101000000")
    assert [(c["sphfwssflhbbm"], c["hzx"]) for c in codes["ssflbmList"]] == [
        ("1000000000000000000", "Y"), ("1010000000000000000", "Y"), ("1010100000000000000", "Y")]
    page = platform.ok("CXSSFLBM", {"pageNo": 5, "pageSize": 1})["ssflbmList"][0]
    assert page == {"sphfwssflhbbm": "1010101010000000000", "spmc": "稻谷", "spjc": "谷物",
                    "sm": "包括早籼稻、晚籼稻、中籼稻、粳稻、糯稻、其他稻谷。", "slList": ["0.09", "0.03", "0.01", "0.00"],
                    "yhzcbsList": ["03"], "hzx": "N", "yxqq": "2020-01-01", "yxqz": ""}
    assert platform.ok("CXSSFLBM", {"nsrsbh": SELLER_ID, "sjc": "20240101000000"})["total"] == 0
    assert platform.ok("CXSSFLBM", {"nsrsbh": SELLER_ID, "sjc": "20191231235959"})["total"] == 4205


def test_it_refuses_a_batch_over_100(seller):
    answer = seller.call("QDFPSC", [invoice(n, ptbh=seller.jrdwptbh) for n in seller.numbers(101)])
    assert answer.data == {"returncode": "13", "returnmsg": "单次上传发票数量不能超过100张"}
    assert UploadedInvoice.objects.count() == 0


def test_it_accepts_a_batch_of_100(seller):
    results = seller.issue([invoice(n) for n in seller.numbers(100)])
    assert [r["status"] for r in results] == ["00"] * 100


def test_it_answers_uploaded_before_with_what_it_holds(seller):
    number = next_number(seller)
    first = seller.issue([invoice(number)])[0]
    again = seller.issue([invoice(number, [], jshj="1.00", kprq="2001-01-01 00:00:00")])[0]
    assert again == {"fphm": number, "status": "03", "returnmsg": "发票已上传，重复上传", "jshj": "226.00",
                     "kprq": first["kprq"]}


def test_a_refused_number_can_be_uploaded_again(seller):
    number = next_number(seller)
    assert seller.issue([invoice(number, jshj="1.00")])[0]["status"] == "02"
    assert seller.issue([invoice(number)])[0]["status"] == "00"


def test_results_wait_for_the_processing_delay_and_are_kept_12_hours(seller, settings, http):
    settings.SANDBOX_PROCESSING_DELAY_S = 10
    sllsh = seller.upload([invoice(next_number(seller))])
    assert seller.result(sllsh) == {"returncode": "00", "returnmsg": "成功", "sllsh": sllsh, "status": "01",
                                    "fpjgList": []}
    control(http, "post", "clock", {"offset_s": 11})
    assert seller.result(sllsh)["status"] == "00"
    control(http, "post", "clock", {"offset_s": 12 * 3600 + 1})
    answer = seller.call("CXQDFPSCJG", {"sllsh": sllsh},
                         timestamp=str(int((shanghai_now().timestamp() + 12 * 3600 + 1) * 1000)))
    assert answer.data == {"returncode": "14", "returnmsg": "受理流水号不存在或已过期（sllsh）"}


def test_it_refuses_an_unknown_serial(platform):
    answer = platform.call("CXQDFPSCJG", {"sllsh": "0" * 32})
    assert answer.data == {"returncode": "14", "returnmsg": "受理流水号不存在或已过期（sllsh）"}


def test_it_reports_invoice_status_and_booking(seller, http):
    number = next_number(seller)
    result = seller.issue([invoice(number)])[0]
    status = seller.ok("FPZTXXCX", {"nsrsbh": SELLER_ID, "fphm": number})
    assert status == {"returncode": "00", "returnmsg": "成功", "fphm": number, "fpzt": "01", "gxzt": "N",
                      "jshj": "226.00", "kprq": result["kprq"], "yhcje": "0.00"}
    assert control(http, "post", f"invoices/{number}/book") == (200, {"fphm": number, "gxzt": "Y"})
    assert seller.ok("FPZTXXCX", {"nsrsbh": SELLER_ID, "fphm": number})["gxzt"] == "Y"
    answer = seller.call("FPZTXXCX", {"nsrsbh": SELLER_ID, "fphm": "0" * 20})
    assert answer.data == {"returncode": "15", "returnmsg": "发票不存在（fphm）"}


def test_the_transfer_names_the_units_platform_id(platform):
    download = {"nsrsbh": SELLER_ID, "sqlx": "0", "sqed": "1.00", "ywlsh": "Q1"}
    answer = platform.call("XZTHSXED", {**download, "ptbh": "9" * 20})
    assert answer.data == {"returncode": "01", "returnmsg": "平台编号与接入单位不符（ptbh）"}
    assert platform.call("XZTHSXED", download).data["returnmsg"] == "平台编号与接入单位不符（ptbh）"
    assert platform.ok("CXSXED")["yxzsxed"] == "0.00"


def test_a_serial_number_may_be_100_characters(platform):
    download = {"nsrsbh": SELLER_ID, "ptbh": platform.jrdwptbh, "sqlx": "0", "sqed": "1.00"}
    # The public clients send the two units' platform ids and 33 random digits (73 characters).
    assert platform.ok("XZTHSXED", {**download, "ywlsh": "7" * 100})["yxzsxed"] == "1.00"
    assert platform.ok("QDFPPLFM", {"nsrsbh": SELLER_ID, "lysl": 1, "ywlsh": "8" * 100})["lysl"] == 1
    answer = platform.call("XZTHSXED", {**download, "ywlsh": "7" * 101})
    assert answer.data == {"returncode": "01", "returnmsg": "业务流水号须为1至100个字符（ywlsh）"}


def test_the_code_service_checks_its_time_stamp_and_office(platform):
    answer = platform.call("CXSSFLBM", {"nsrsbh": SELLER_ID, "sjc": "2024-01-01 00:00:00"})
    assert answer.data == {"returncode": "01", "returnmsg": "时间戳格式须为yyyyMMddHHmmss（sjc）"}
    answer = platform.call("CXSSFLBM", {"nsrsbh": SELLER_ID, "sjswjgdm": "3100"})
    assert answer.data == {"returncode": "01", "returnmsg": "省级税务机关代码须为11位数字（sjswjgdm）"}


def test_the_upload_result_is_asked_for_by_sllsh_alone(seller):
    sllsh = seller.upload([invoice(next_number(seller))])
    data = seller.ok("CXQDFPSCJG", {"sllsh": sllsh})
    assert (data["sllsh"], data["status"], [r["status"] for r in data["fpjgList"]]) == (sllsh, "00", ["00"])


def test_the_upload_body_is_the_list_of_invoices(seller):
    answer = seller.call("QDFPSC", {"nsrsbh": SELLER_ID, "fplist": [invoice(next_number(seller))]})
    assert (answer.status, answer.error) == (400, ("1005", "报文解密失败，请检查密钥与报文"))
    assert seller.call("QDFPSC", []).data == {"returncode": "01", "returnmsg": "发票列表不能为空（请求体）"}
    assert UploadedInvoice.objects.count() == 0


def _at(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


@pytest.mark.parametrize(
    ("month", "answer"),
    [
        ("2030-12", {"returncode": "00", "returnmsg": "成功", "sxedsq": "2030-12", "yxqz": "2031-02-01 00:00:00"}),
        ("2030-11", {"returncode": "00", "returnmsg": "成功", "sxedsq": "2030-11", "yxqz": "2031-01-01 00:00:00"}),
        ("2030-10", {"returncode": "01", "returnmsg": "只能调整本月或上月的发票额度有效期（sxedsq）"}),
        ("2031-01", {"returncode": "01", "returnmsg": "只能调整本月或上月的发票额度有效期（sxedsq）"}),
        ("2030/12", {"returncode": "01", "returnmsg": "发票额度属期格式须为yyyy-MM（sxedsq）"}),
    ],
)
def test_it_extends_this_or_last_months_quota(platform, http, month, answer):
    moment = datetime(2030, 12, 15, 12, 0, tzinfo=SHANGHAI)
    control(http, "post", "clock", {"now": moment.isoformat()})
    called = platform.call("TZSXEDYXQ", {"xsfnsrsbh": SELLER_ID, "sxedsq": month}, timestamp=_at(moment))
    assert called.data == answer


def test_the_quota_extension_names_the_seller_in_xsfnsrsbh(platform):
    month = shanghai_now().strftime("%Y-%m")
    assert platform.ok("TZSXEDYXQ", {"xsfnsrsbh": SELLER_ID, "sxedsq": month})["sxedsq"] == month
    answer = platform.call("TZSXEDYXQ", {"nsrsbh": SELLER_ID, "sxedsq": month})
    assert answer.data == {"returncode": "10", "returnmsg": "纳税人识别号与接入单位不符（xsfnsrsbh）"}


def test_it_reports_a_taxpayers_risk_from_its_state(platform):
    assert platform.ok("CXNSRFXXX", {"nsrsbh": SELLER_ID}) == {
        "returncode": "00", "returnmsg": "成功", "nsrsbh": SELLER_ID, "fxbz": "N", "fxxxList": []}
    Unit.objects.filter(nsrsbh=SELLER_ID).update(nsrztdm="05")
    risky = platform.ok("CXNSRFXXX", {"nsrsbh": SELLER_ID})
    assert (risky["fxbz"], risky["fxxxList"]) == ("Y", [{"fxlx": "01", "fxms": "纳税人状态为非正常"}])


def test_it_lists_the_margin_taxed_codes(platform):
    listed = platform.ok("CXCEZSBM", {})["cezsbmList"]
    assert {"sphfwssflhbbm": "3040802020000000000", "spmc": "代理报关服务"} in listed
    codes = [item["sphfwssflhbbm"] for item in listed]
    assert len(codes) == 8 and all(code.startswith("3040802") for code in codes)
    # Summary codes (经纪代理服务 itself) are never issued.
    assert "3040802000000000000" not in codes and "3040802010000000000" not in codes


def without_capability(platform, fwbm, payload):
    return platform.call(fwbm, payload, nlbm=None)


def test_it_shows_the_virtual_company(platform):
    answer = without_capability(platform, "LQSX_SWZJ_GT4_CXXNQYXX", {"nsrsbh": SELLER_ID, "ssjswjgDm": "13100000000"})
    assert answer.data == {"returncode": "00", "returnmsg": "成功", "nsrsbh": SELLER_ID, "nsrmc": "上海测试商贸有限公司",
                           "ssjswjgDm": "13100000000", "nsrztdm": "03"}
    answer = without_capability(platform, "LQSX_SWZJ_GT4_CXXNQYXX", {"nsrsbh": SELLER_ID, "ssjswjgDm": "131"})
    assert answer.data == {"returncode": "01",
                           "returnmsg": "所属省级税务机关代码须为11位数字，如11100000000（ssjswjgDm）"}


def test_it_reinitialises_the_virtual_company(seller):
    assert seller.issue([invoice(next_number(seller))])[0]["status"] == "00"
    assert seller.ok("CXSXED")["ysyed"] == "226.00"
    Unit.objects.filter(nsrsbh=SELLER_ID).update(nsrztdm="05")
    answer = without_capability(seller, "LQSX_SWZJ_GT4_QYXXCSH", {"nsrsbh": SELLER_ID, "ssjswjgDm": "13100000000"})
    assert answer.data == {"returncode": "00", "returnmsg": "成功", "nsrsbh": SELLER_ID, "ssjswjgDm": "13100000000",
                           "cshbz": "Y"}
    quota = seller.ok("CXSXED")
    assert (quota["yxzsxed"], quota["ysyed"]) == ("0.00", "0.00")
    assert Unit.objects.get(nsrsbh=SELLER_ID).nsrztdm == "03"
    # Numbers and invoices are kept.
    assert UploadedInvoice.objects.count() == 1
    refused = without_capability(seller, "LQSX_SWZJ_GT4_QYXXCSH", {"nsrsbh": SELLER_ID})
    assert refused.data["returnmsg"] == "所属省级税务机关代码须为11位数字，如11100000000（ssjswjgDm）"
