"""CXNSRJBXX, CXKYSL and CXSSFLBM: what the platform knows about taxpayers, rates and codes."""

from __future__ import annotations

from decimal import Decimal

from invoicing.taxcodes import reference
from sandbox.models import Unit
from sandbox.rules import parse_datetime
from sandbox.services.common import BusinessError, positive_int, rate_text

TAXPAYER_STATES = {"01": "受理", "02": "登记", "03": "正常", "04": "停业", "05": "非正常", "09": "报验"}
USABLE_RATES = ("0.13", "0.09", "0.06", "0.05", "0.03", "0.015", "0.01", "0.00")
# The code table is the 2020 edition; every code counts as changed at this moment.
CODE_TABLE_CHANGED = "2020-01-01 00:00:00"
CODE_VALID_FROM = "2020-01-01"


def taxpayer_info(*, unit: Unit, payload: dict) -> dict:
    return {
        "nsrsbh": unit.nsrsbh,
        "nsrmc": unit.nsrmc,
        "nsrztdm": unit.nsrztdm,
        "nsrztmc": TAXPAYER_STATES.get(unit.nsrztdm, "其他"),
        "scjydz": unit.scjydz,
    }


def tax_rates(*, unit: Unit, payload: dict) -> dict:
    return {"slList": [{"slv": rate, "mc": f"{(Decimal(rate) * 100).normalize():f}%"} for rate in USABLE_RATES]}


def classification_codes(*, unit: Unit, payload: dict) -> dict:
    page = positive_int(payload.get("pageNo"), field="pageNo", label="页码", default=1)
    size = positive_int(payload.get("pageSize"), field="pageSize", label="每页条数", default=1000, maximum=1000)
    since = payload.get("sjc")
    codes = sorted(reference.codes().values(), key=lambda code: code.code)
    if since:
        watermark = parse_datetime(since)
        if watermark is None:
            raise BusinessError("01", "时间戳格式须为yyyy-MM-dd HH:mm:ss（sjc）")
        if watermark >= parse_datetime(CODE_TABLE_CHANGED):
            codes = []
    items = [
        {
            "sphfwssflhbbm": code.code,
            "spmc": code.name,
            "spjc": reference.short_name_of(code.code),
            "sm": code.description,
            "slList": [rate_text(rate) for rate in sorted(code.rates, reverse=True)],
            "yhzcbsList": sorted(code.preferential),
            "hzx": "Y" if code.is_summary else "N",
            "yxqq": CODE_VALID_FROM,
            "yxqz": "",
        }
        for code in codes[(page - 1) * size : page * size]
    ]
    return {"total": len(codes), "sjc": CODE_TABLE_CHANGED, "ssflbmList": items}
