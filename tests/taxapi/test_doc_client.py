"""A client written from docs/tax-platform.md alone, with the public client's field names:
registers, issues (list body), applies for and confirms red forms, and confirms a monthly summary.

It uses nothing of the product's client but the SM4 and HMAC-SM3 primitives (``crypto``), and
talks to the sandbox over real HTTP. If the doc and the sandbox drift apart, this fails: it is the
doc's own test (issue 19). Amounts are sent as JSON numbers, as the public PHP client does.
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.conf import settings

from invoicing.rules.taxid import make_uscc
from invoicing.taxapi import crypto

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True, databases="__all__")]
SHANGHAI = ZoneInfo("Asia/Shanghai")
BUYER = "91440300MA5F00002D"
CODE, SHORT = "1090511030000000000", "计算机外部设备"  # a 13% goods code of the table


class DocClient:
    def __init__(self, base: str, unit: dict, tax_id: str):
        self.base, self.unit, self.tax_id = base, unit, tax_id
        self.http = requests.Session()

    offset_s = 0.0  # the sandbox clock moved forward: timestamps follow it (§6.4)

    def call(self, fwbm: str, content, *, capability: bool = True) -> dict:
        body = crypto.encrypt_body(self.unit["secret"], json.dumps(content, ensure_ascii=False).encode())
        timestamp, nonce = str(int((time.time() + self.offset_s) * 1000)), crypto.new_nonce()
        signature = crypto.sign_hmac(
            self.unit["secret"], crypto.signing_string(service=fwbm, timestamp=timestamp, nonce=nonce, body_b64=body))
        headers = {"Content-Type": "text/plain; charset=utf-8", "fwbm": fwbm, "nlbm": "202007",
                   "jrdwptbh": self.unit["jrdwptbh"], "sydwptbh": self.unit["sydwptbh"], "ylbm": "", "sxcsbz": "",
                   "ptlx": "0", "timestamp": timestamp, "nonce": nonce, "access-signature": signature}
        path = f"202007/{fwbm}" if capability else fwbm
        answer = self.http.post(f"{self.base}/access/v2/invoke/{path}/", data=body.encode(), headers=headers, timeout=15)
        outer = answer.json()
        response = json.loads(outer["body"])["Response"]  # body is JSON text (§1)
        assert "Error" not in response, response
        data = json.loads(crypto.decrypt_body(self.unit["secret"], response["Data"]))
        assert data["returncode"] == "00", data
        return data

    def serial(self) -> str:
        return self.unit["jrdwptbh"] + self.unit["sydwptbh"] + "".join(random.choice("0123456789") for _ in range(33))


def _invoice(client: DocClient, number: str, *, red_of: dict | None = None, form: dict | None = None) -> dict:
    sign = -1 if red_of else 1
    amount, tax = round(sign * 200.0, 2), round(sign * 26.0, 2)
    line = {"mxxh": 1, "xmmc": "打印机", "hwhyslwfwmc": f"*{SHORT}*打印机", "spfwjc": SHORT, "ggxh": "", "dw": "台",
            "sl": str(sign * 2), "dj": "100", "je": amount, "slv": "0.13", "se": tax, "hsje": round(amount + tax, 2),
            "kce": "", "sphfwssflhbbm": CODE, "fphxz": "00", "yhzcbs": ""}
    invoice = {
        "fphm": number, "lzfpbz": "1" if red_of else "0", "ptbh": client.unit["jrdwptbh"], "fppz": "02",
        "gmfzrrbz": "N", "tdys": "", "qyDm": client.tax_id[2:8], "cezslxDm": "", "sgfplxDm": "", "ckywsyzcDm": "",
        "zzsjzjtDm": "", "xsfnsrsbh": client.tax_id, "xsfmc": "文档客户端测试有限公司", "gmfnsrsbh": BUYER,
        "gmfmc": "深圳购买方科技有限公司", "hjje": amount, "hjse": tax, "jshj": round(amount + tax, 2),
        "jsfs": "04", "kpr": "张三", "kprzjhm": "", "kprzjlx": "", "bz": "", "ip": "10.1.2.3",
        "macdz": "52-54-00-AB-CD-EF", "kprq": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        "fpkjfsDm": "5", "fpmxList": [line], "fjysList": [], "cekcList": [],
    }
    if red_of:
        line["dylzfpmxxh"] = 1
        invoice |= {"dylzfphm": red_of["fphm"], "hzqrxxdbh": form["hzqrxxdbh"], "hzqrduuid": form["uuid"]}
    return invoice


def _red_form_request(client: DocClient, blue: dict) -> dict:
    return {
        "lrfsf": "0", "xsfnsrsbh": client.tax_id, "xsfmc": blue["xsfmc"], "gmfnsrsbh": blue["gmfnsrsbh"],
        "gmfmc": blue["gmfmc"], "lzfpdm": "", "lzfphm": blue["fphm"], "sfzzfpbz": "N", "lzkprq": blue["kprq"],
        "lzhjje": blue["hjje"], "lzhjse": blue["hjse"], "lzfppzDm": "02", "lzfpTdyslxDm": "", "hzcxje": -200.0,
        "hzcxse": -26.0, "chyyDm": "01",
        "hzqrdmxList": [{"lzmxxh": 1, "xh": 1, "sphfwssflhbbm": CODE, "hwhyslwfwmc": f"*{SHORT}*打印机", "spfwjc": SHORT,
                         "xmmc": "打印机", "ggxh": "", "dw": "台", "fpspsl": "-2", "fpspdj": "100", "je": -200.0,
                         "sl1": "0.13", "se": -26.0}],
    }


def _issued(client: DocClient, invoices: list[dict]) -> list[dict]:
    sllsh = client.call("QDFPSC", invoices)["sllsh"]  # the body is the list itself
    for _ in range(60):
        result = client.call("CXQDFPSCJG", {"sllsh": sllsh})
        if result["status"] == "00":
            return result["fpjgList"]
        time.sleep(0.2)
    raise AssertionError("upload never processed")


def test_a_client_written_from_the_doc_alone_issues_and_reverses(live_server, settings_fast_sandbox):
    base = f"{live_server.url}/sandbox"
    tax_id = make_uscc("91310000MA" + str(random.randint(1000000, 9999999)))
    control = requests.post(f"{base}/control/units", json={"nsrsbh": tax_id, "nsrmc": "文档客户端测试有限公司"},
                            headers={"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN}, timeout=10)
    assert control.status_code == 200, control.text
    client = DocClient(base, control.json(), tax_id)

    office = f"1{tax_id[2:4]}00000000"
    assert client.call("LQSX_SWZJ_GT4_CXXNQYXX", {"nsrsbh": tax_id, "ssjswjgDm": office}, capability=False)["nsrsbh"] == tax_id
    assert client.call("CXSSFLBM", {"nsrsbh": tax_id, "sjc": "", "sjswjgdm": office, "pageNo": 1, "pageSize": 5})["total"] > 5
    client.call("XZTHSXED", {"nsrsbh": tax_id, "ptbh": client.unit["jrdwptbh"], "sqlx": "0", "sqed": "10000.00",
                             "ywlsh": client.serial()})
    block = client.call("QDFPPLFM", {"nsrsbh": tax_id, "lysl": 3, "ywlsh": client.serial()})
    first = int(block["qshm"][6:])
    numbers = [f"{block['qshm'][:6]}{first + i:014d}" for i in range(3)]

    blue = _invoice(client, numbers[0])
    [outcome] = _issued(client, [blue])
    assert (outcome["fphm"], outcome["status"]) == (numbers[0], "00"), outcome

    form = client.call("QDHZQRDSQ", _red_form_request(client, blue))
    assert form["hzqrxxztDm"] == "01"  # not booked by the buyer: no confirmation needed
    detail = client.call("CXQDHZQRDMX", {"xsfnsrsbh": tax_id, "uuid": form["uuid"]})
    assert (detail["chyyDm"], detail["hzqrdmxList"][0]["sl1"]) == ("01", "0.13")
    listed = client.call("CXQDHZQRDLB", {"yhjslx": "0", "xsfnsrsbh": tax_id, "pageNumber": 1, "pageSize": 10})
    assert [item["uuid"] for item in listed["list"]] == [form["uuid"]]
    [red] = _issued(client, [_invoice(client, numbers[1], red_of=blue, form=form)])
    assert red["status"] == "00", red

    # A form the buyer enters waits for the seller, who confirms it with qrlx Y.
    second = _invoice(client, numbers[2])
    assert _issued(client, [second])[0]["status"] == "00"
    entered = requests.post(f"{base}/control/red-forms", json={**_red_form_request(client, second), "lrfsf": "1"},
                            headers={"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN}, timeout=10).json()
    assert entered.get("hzqrxxztDm") == "03", entered
    confirmed = client.call("QDHZQRDQR", {"xsfnsrsbh": tax_id, "uuid": entered["uuid"], "hzqrdbh": entered["hzqrxxdbh"],
                                          "qrlx": "Y"})
    assert confirmed["hzqrxxztDm"] == "04"

    # The month's summary (§7): once the month is over on the platform's clock, query and confirm it.
    now = datetime.now(SHANGHAI)
    month = now.strftime("%Y-%m")
    next_month = (now.replace(day=28) + timedelta(days=5)).replace(day=2, hour=10, minute=0, second=0, microsecond=0)
    moved = requests.post(f"{base}/control/clock", json={"now": next_month.isoformat()},
                          headers={"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN}, timeout=10)
    assert moved.status_code == 200, moved.text
    client.offset_s = next_month.timestamp() - time.time()
    common = {"xsfnsrsbh": tax_id, "xsfsjswjgdm": office, "ywlx": "0", "ptbh": client.unit["jrdwptbh"], "yf": month}
    summary = client.call("CXFPHZQRXX", common)
    assert (summary["lzfpsl"], summary["lzfpje"], summary["hzfpsl"], summary["hzfpje"]) == (2, "400.00", 1, "-200.00")
    figures = {name: summary[name] for name in ("lzfpsl", "lzfpje", "lzfpse", "hzfpsl", "hzfpje", "hzfpse")}
    assert client.call("SCFPHZQRXX", {**common, **figures})["qrzt"] == "1"
    assert client.call("CXFPHZQRXX", common)["qrzt"] == "1"
    requests.delete(f"{base}/control/clock", headers={"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN}, timeout=10)


@pytest.fixture
def settings_fast_sandbox(settings):
    settings.SANDBOX_PROCESSING_DELAY_S = 0
    settings.SANDBOX_THROTTLE_PER_S = 50
