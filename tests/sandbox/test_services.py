"""Numbers, quota, taxpayer info, rates, codes, upload/result cycle and invoice status."""

import pytest

from sandbox.models import NumberBlock, UploadedInvoice
from tests.sandbox.conftest import next_number
from tests.sandbox.platform import SELLER_ID, control, invoice, shanghai_now

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
    download = {"nsrsbh": SELLER_ID, "sqlx": "0", "sqed": "1000.00", "ywlsh": "Q1"}
    assert platform.ok("XZTHSXED", download) == {"returncode": "00", "returnmsg": "成功", "sqlx": "0",
                                                "sqed": "1000.00", "yxzsxed": "1000.00"}
    assert platform.ok("XZTHSXED", download)["yxzsxed"] == "1000.00"  # same ywlsh: same answer, once
    platform.ok("XZTHSXED", {"nsrsbh": SELLER_ID, "sqlx": "1", "sqed": "400.00", "ywlsh": "Q2"})
    number = platform.numbers(1)[0]
    assert platform.issue([invoice(number)])[0]["status"] == "00"
    quota = platform.ok("CXSXED")
    assert (quota["yxzsxed"], quota["kyxzsxed"], quota["ysyed"]) == ("374.00", "9999400.00", "226.00")


def test_it_refuses_quota_beyond_what_is_left(platform):
    control(platform.http, "post", "units", {"nsrsbh": SELLER_ID, "nsrmc": "x", "zsxed": "500.00"})
    answer = platform.call("XZTHSXED", {"nsrsbh": SELLER_ID, "sqlx": "0", "sqed": "500.01", "ywlsh": "Q1"})
    assert answer.data == {"returncode": "12", "returnmsg": "额度不足：可下载额度为500.00（sqed）"}
    answer = platform.call("XZTHSXED", {"nsrsbh": SELLER_ID, "sqlx": "1", "sqed": "1.00", "ywlsh": "Q2"})
    assert answer.data == {"returncode": "12", "returnmsg": "额度不足：已下载未使用额度为0.00（sqed）"}


def test_it_reports_taxpayer_rates_and_codes(platform):
    assert [r["slv"] for r in platform.ok("CXKYSL")["slList"]] == [
        "0.13", "0.09", "0.06", "0.05", "0.03", "0.015", "0.01", "0.00"]
    codes = platform.ok("CXSSFLBM", {"pageNo": 1, "pageSize": 3})
    assert codes["total"] == 4205
    assert [(c["sphfwssflhbbm"], c["hzx"]) for c in codes["ssflbmList"]] == [
        ("1000000000000000000", "Y"), ("1010000000000000000", "Y"), ("1010100000000000000", "Y")]
    page = platform.ok("CXSSFLBM", {"pageNo": 5, "pageSize": 1})["ssflbmList"][0]
    assert page == {"sphfwssflhbbm": "1010101010000000000", "spmc": "稻谷", "spjc": "谷物",
                    "sm": "包括早籼稻、晚籼稻、中籼稻、粳稻、糯稻、其他稻谷。", "slList": ["0.09", "0.03", "0.01", "0.00"],
                    "yhzcbsList": ["03"], "hzx": "N", "yxqq": "2020-01-01", "yxqz": ""}
    assert platform.ok("CXSSFLBM", {"sjc": "2024-01-01 00:00:00"})["total"] == 0


def test_it_refuses_a_batch_over_100(seller):
    answer = seller.call("QDFPSC", {"nsrsbh": SELLER_ID, "fplist": [invoice(n) for n in seller.numbers(101)]})
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
    answer = seller.call("CXQDFPSCJG", {"nsrsbh": SELLER_ID, "sllsh": sllsh},
                         timestamp=str(int((shanghai_now().timestamp() + 12 * 3600 + 1) * 1000)))
    assert answer.data == {"returncode": "14", "returnmsg": "受理流水号不存在或已过期（sllsh）"}


def test_it_refuses_an_unknown_serial(platform):
    answer = platform.call("CXQDFPSCJG", {"nsrsbh": SELLER_ID, "sllsh": "0" * 32})
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
