"""A tiny test-only client for the sandbox: builds envelopes with the shared crypto primitives.

Written from docs/tax-platform.md, independently of the product's client.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from invoicing.taxapi import crypto

BASE = "/sandbox"
CAPABILITY = "202007"
SHANGHAI = ZoneInfo("Asia/Shanghai")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

GOODS = ("1090511030000000000", "计算机外部设备", Decimal("0.13"))
AGRI = ("1010101010000000000", "谷物", Decimal("0.09"))
SERVICE = ("3070401000000000000", "餐饮服务", Decimal("0.06"))
NOT_TAXABLE = ("6010000000000000000", "预付卡销售", Decimal("0"))
SUMMARY_CODE = "1060301010000000000"


def uscc(first17: str) -> str:
    """A unified social credit code with its check character (GB 32100-2015)."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


SELLER_ID = uscc("91310000MA1K00001")
BUYER_ID = uscc("91440300MA5F00002")


def control_headers(token: str | None = None) -> dict:
    return {"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN if token is None else token}


def kprq_text(moment: datetime | None = None) -> str:
    return (moment or datetime.now(SHANGHAI)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def money(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


def line(code=GOODS, *, name="打印机", sl="2", dj="100", je=None, slv=None, se=None, fphxz="00", yhzcbs="", mxxh=1):
    rate = code[2] if slv is None else Decimal(slv)
    amount = Decimal(je) if je is not None else Decimal(sl) * Decimal(dj)
    tax = Decimal(se) if se is not None else (amount * rate).quantize(Decimal("0.01"))
    item = {
        "mxxh": mxxh, "xmmc": name, "hwhyslwfwmc": f"*{code[1]}*{name}", "spfwjc": code[1], "ggxh": "",
        "dw": "" if fphxz == "01" else "台", "sl": sl or "", "dj": dj or "", "je": money(amount), "slv": str(rate),
        "se": money(tax), "hsje": money(amount + tax), "sphfwssflhbbm": code[0], "fphxz": fphxz, "yhzcbs": yhzcbs,
    }
    return item


def invoice(fphm: str, lines: list[dict] | None = None, *, kprq: str | None = None, red=False, **fields) -> dict:
    lines = lines if lines is not None else [line()]
    for number, item in enumerate(lines, start=1):
        item.setdefault("mxxh", number)
        item["mxxh"] = number
    hjje = sum(Decimal(item["je"]) for item in lines)
    hjse = sum(Decimal(item["se"]) for item in lines)
    data = {
        "fphm": fphm, "lzfpbz": "1" if red else "0", "fppz": "02", "kprq": kprq or kprq_text(),
        "xsfnsrsbh": SELLER_ID, "xsfmc": "上海测试商贸有限公司", "xsfdz": "", "xsfdh": "", "xsfkhh": "", "xsfzh": "",
        "gmfnsrsbh": BUYER_ID, "gmfmc": "深圳购买方科技有限公司", "gmfdz": "", "gmfdh": "", "gmfkhh": "", "gmfzh": "",
        "hjje": money(hjje), "hjse": money(hjse), "jshj": money(hjje + hjse), "kpr": "张三", "bz": "",
        "qyDm": "310000", "ip": "10.0.0.8", "macdz": "52-54-00-12-34-56", "fpkjfsDm": "5",
        "fpmxList": lines,
    }
    data.update(fields)
    return data


def form_line(lzmxxh=1, **fields) -> dict:
    """One QDHZQRDSQ line (``hzqrdmxList``) in the wire names; by default all of the default line()."""
    item = {"lzmxxh": lzmxxh, "fpspsl": "-2", "fpspdj": "100", "je": "-200.00", "se": "-26.00"}
    item.update(fields)
    return item


def red_form_request(blue: dict, *, chyydm="01", items=None, lrfsf="0", **fields) -> dict:
    """A QDHZQRDSQ request (and the buyer's control entry) against ``blue``, the invoice as it was
    uploaded: the blue invoice's facts are copied from it, each line's names and rate from its line."""
    items = [dict(item) for item in (items if items is not None else [form_line()])]
    blue_by_no = {int(raw["mxxh"]): raw for raw in blue.get("fpmxList") or []}
    for position, item in enumerate(items, start=1):
        blue_line = blue_by_no.get(int(item["lzmxxh"]), {})
        item.setdefault("xh", position)
        for name, blue_name in (("sphfwssflhbbm", "sphfwssflhbbm"), ("xmmc", "xmmc"), ("hwhyslwfwmc", "hwhyslwfwmc"),
                                ("spfwjc", "spfwjc"), ("ggxh", "ggxh"), ("dw", "dw"), ("sl1", "slv")):
            item.setdefault(name, blue_line.get(blue_name, ""))
        item.setdefault("fpspsl", "")
        item.setdefault("fpspdj", "")
    request = {
        "lrfsf": lrfsf, "xsfnsrsbh": blue["xsfnsrsbh"], "xsfmc": blue["xsfmc"], "gmfnsrsbh": blue.get("gmfnsrsbh") or "",
        "gmfmc": blue["gmfmc"], "lzfpdm": "", "lzfphm": blue["fphm"], "sfzzfpbz": "N", "lzkprq": blue["kprq"],
        "lzhjje": blue["hjje"], "lzhjse": blue["hjse"], "lzfppzDm": blue["fppz"], "lzfpTdyslxDm": "",
        "hzcxje": money(sum(Decimal(item["je"]) for item in items)),
        "hzcxse": money(sum(Decimal(item["se"]) for item in items)),
        "chyyDm": chyydm, "hzqrdmxList": items,
    }
    request.update(fields)
    return request


@dataclass
class Answer:
    status: int
    outer: dict
    data: dict | None = None

    @property
    def error(self) -> tuple[str, str] | None:
        error = self.outer.get("body", {}).get("Response", {}).get("Error")
        return (error["Code"], error["Message"]) if error else None

    @property
    def returncode(self) -> str | None:
        return self.data["returncode"] if self.data else None


@dataclass
class PlatformClient:
    """One connecting unit talking to the sandbox through Django's test client (or requests)."""

    http: object
    nsrsbh: str
    jrdwptbh: str
    sydwptbh: str
    secret: str
    private_key: str | None = None
    public_key: str | None = None
    base: str = BASE
    signature_header: str = "access_signature"
    sent: list = field(default_factory=list)

    def envelope(self, fwbm: str, payload, *, key=None, timestamp=None, nonce=None, signature=None, body=None,
                 headers=None) -> tuple[str, dict]:
        body = body if body is not None else crypto.encrypt_body(
            key or self.secret, json.dumps(payload, ensure_ascii=False).encode()
        )
        timestamp = timestamp if timestamp is not None else str(int(time.time() * 1000))
        nonce = nonce or crypto.new_nonce()
        message = crypto.signing_string(service=fwbm, timestamp=timestamp, nonce=nonce, body_b64=body)
        if signature is None:
            if self.private_key:
                signature = crypto.sm2_sign(self.private_key, self.public_key, message)
            else:
                signature = crypto.sign_hmac(key or self.secret, message)
        sent = {
            "fwbm": fwbm, "nlbm": CAPABILITY, "jrdwptbh": self.jrdwptbh, "sydwptbh": self.sydwptbh, "ptlx": "0",
            "timestamp": timestamp, "nonce": nonce, self.signature_header: signature,
        }
        sent.update(headers or {})
        return body, {name: value for name, value in sent.items() if value is not None}

    def url(self, fwbm: str, nlbm: str | None = CAPABILITY) -> str:
        """``nlbm=None``: the path without the capability (the virtual-company services)."""
        if nlbm is None:
            return f"{self.base}/access/v2/invoke/{fwbm}/"
        return f"{self.base}/access/v2/invoke/{nlbm}/{fwbm}/"

    def call(self, fwbm: str, payload=None, *, nlbm: str | None = CAPABILITY, **options) -> Answer:
        payload = payload if payload is not None else {"nsrsbh": self.nsrsbh}
        body, headers = self.envelope(fwbm, payload, **options)
        self.sent.append((body, headers))
        return self.post(self.url(fwbm, nlbm), body, headers)

    def post(self, url: str, body: str, headers: dict) -> Answer:
        response = self.http.post(url, data=body, content_type="text/plain; charset=utf-8", headers=headers)
        return self.answer(response.status_code, json.loads(response.content))

    def answer(self, status: int, outer: dict) -> Answer:
        # The platform's body is JSON text inside the JSON (docs §1).
        assert isinstance(outer["body"], str), outer
        outer = {**outer, "body": json.loads(outer["body"])}
        data = outer["body"]["Response"].get("Data")
        decoded = json.loads(crypto.decrypt_body(self.secret, data)) if data else None
        return Answer(status=status, outer=outer, data=decoded)

    def ok(self, fwbm: str, payload=None) -> dict:
        answer = self.call(fwbm, payload)
        assert answer.status == 200, answer.outer
        assert answer.returncode == "00", answer.data
        return answer.data

    # --- shortcuts -------------------------------------------------------------------------

    def numbers(self, count=10, ywlsh=None) -> list[str]:
        data = self.ok("QDFPPLFM", {"nsrsbh": self.nsrsbh, "lysl": count, "ywlsh": ywlsh or crypto.new_nonce()})
        first, last = int(data["qshm"][6:]), int(data["zzhm"][6:])
        return [f"{data['qshm'][:6]}{n:014d}" for n in range(first, last + 1)]

    def download_quota(self, amount="100000.00") -> dict:
        return self.ok("XZTHSXED", {"nsrsbh": self.nsrsbh, "ptbh": self.jrdwptbh, "sqlx": "0", "sqed": amount,
                                    "ywlsh": crypto.new_nonce()})

    def upload(self, invoices: list[dict]) -> str:
        """QDFPSC: the body is the list of invoices; each names this unit's platform id."""
        for item in invoices:
            if isinstance(item, dict):
                item.setdefault("ptbh", self.jrdwptbh)
        return self.ok("QDFPSC", invoices)["sllsh"]

    def result(self, sllsh: str) -> dict:
        return self.ok("CXQDFPSCJG", {"sllsh": sllsh})

    def issue(self, invoices: list[dict]) -> list[dict]:
        """Upload and return the per-invoice results (the tests run with no processing delay)."""
        data = self.result(self.upload(invoices))
        assert data["status"] == "00", data
        return data["fpjgList"]


class RequestsHttp:
    """Adapts ``requests`` to the test client's ``post`` signature, for live-server tests."""

    def __init__(self, root: str):
        import requests

        self.root = root
        self.session = requests.Session()

    def post(self, url, data, content_type, headers):
        response = self.session.post(self.root + url, data=data.encode(), headers={**headers, "Content-Type": content_type},
                                     timeout=10)
        response.content  # noqa: B018 - read it all
        return response


def register_unit(http, *, nsrsbh=SELLER_ID, nsrmc="上海测试商贸有限公司", **extra) -> dict:
    response = http.post(
        f"{BASE}/control/units", data=json.dumps({"nsrsbh": nsrsbh, "nsrmc": nsrmc, **extra}),
        content_type="application/json", headers=control_headers(),
    )
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def control(http, method: str, path: str, payload: dict | None = None, *, token: str | None = None):
    if method == "get":
        response = http.get(f"{BASE}/control/{path}", headers=control_headers(token))
    else:
        response = getattr(http, method)(
            f"{BASE}/control/{path}", data=json.dumps(payload or {}), content_type="application/json",
            headers=control_headers(token),
        )
    return response.status_code, json.loads(response.content) if response.content else None


def shanghai_now() -> datetime:
    return datetime.now(SHANGHAI)


def hours_ago(hours: float) -> str:
    return kprq_text(shanghai_now() - timedelta(hours=hours))
