"""CXNSRJBXX, CXKYSL and CXSSFLBM: what the platform knows about taxpayers, rates and codes."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import transaction

from invoicing.taxcodes import reference
from sandbox import state
from sandbox.models import Unit
from sandbox.services.common import BusinessError, lock_unit, positive_int, rate_text
from sandbox.services.quota import month_quota

TAXPAYER_STATES = {"01": "受理", "02": "登记", "03": "正常", "04": "停业", "05": "非正常", "09": "报验"}
USABLE_RATES = ("0.13", "0.09", "0.06", "0.05", "0.03", "0.015", "0.01", "0.00")
# The code table is the 2020 edition; every code counts as changed at this moment (sjc, yyyyMMddHHmmss).
CODE_TABLE_CHANGED = "20200101000000"
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
    """CXSSFLBM ``{nsrsbh, sjc, sjswjgdm}``; paging with ``pageNo``/``pageSize`` is ours."""
    page = positive_int(payload.get("pageNo"), field="pageNo", label="页码", default=1)
    size = positive_int(payload.get("pageSize"), field="pageSize", label="每页条数", default=1000, maximum=1000)
    since = str(payload.get("sjc") or "")
    office = str(payload.get("sjswjgdm") or "")
    if office and not PROVINCE_OFFICE_RE.match(office):
        raise BusinessError("01", "省级税务机关代码须为11位数字（sjswjgdm）")
    codes = sorted(reference.codes().values(), key=lambda code: code.code)
    if since:
        if not re.fullmatch(r"\d{14}", since):
            raise BusinessError("01", "时间戳格式须为yyyyMMddHHmmss（sjc）")
        if since >= CODE_TABLE_CHANGED:
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


# --- services the product does not need every day (ours where the public material is silent) ----

PROVINCE_OFFICE_RE = re.compile(r"^1\d{2}00000000$")
DIFFERENCE_PREFIX = "3040802"  # 经纪代理服务 (ours: the sandbox's 差额征税 codes)


def taxpayer_risk(*, unit: Unit, payload: dict) -> dict:
    """CXNSRFXXX: a taxpayer whose state is not 正常/报验 is a risk (``fxbz`` Y) (ours)."""
    risky = unit.nsrztdm not in ("03", "09")
    return {
        "nsrsbh": unit.nsrsbh,
        "fxbz": "Y" if risky else "N",
        "fxxxList": [{"fxlx": "01", "fxms": f"纳税人状态为{TAXPAYER_STATES.get(unit.nsrztdm, '其他')}"}] if risky else [],
    }


def difference_codes(*, unit: Unit, payload: dict) -> dict:
    """CXCEZSBM: the codes that may be issued as 差额征税 (ours: the 经纪代理服务 family)."""
    codes = sorted(
        (code for code in reference.codes().values() if code.code.startswith(DIFFERENCE_PREFIX) and not code.is_summary),
        key=lambda code: code.code,
    )
    return {"cezsbmList": [{"sphfwssflhbbm": code.code, "spmc": code.name} for code in codes]}


def _office_of(payload: dict) -> str:
    office = str(payload.get("ssjswjgDm") or "")
    if not PROVINCE_OFFICE_RE.match(office):
        raise BusinessError("01", "所属省级税务机关代码须为11位数字，如11100000000（ssjswjgDm）")
    return office


def virtual_company_query(*, unit: Unit, payload: dict) -> dict:
    """LQSX_SWZJ_GT4_CXXNQYXX: the virtual company behind a sandbox unit (ours: its own data)."""
    return {"nsrsbh": unit.nsrsbh, "nsrmc": unit.nsrmc, "ssjswjgDm": _office_of(payload), "nsrztdm": unit.nsrztdm}


@transaction.atomic
def virtual_company_init(*, unit: Unit, payload: dict) -> dict:
    """LQSX_SWZJ_GT4_QYXXCSH: reinitialise the virtual company: state 正常, this month's quota
    back to undownloaded (ours; numbers, uploads and forms are kept)."""
    office = _office_of(payload)
    unit = lock_unit(unit)
    unit.nsrztdm = "03"
    unit.save(update_fields=["nsrztdm"])
    quota = month_quota(unit, state.now(), lock=True)
    quota.downloaded = quota.used = Decimal("0")
    quota.save(update_fields=["downloaded", "used"])
    return {"nsrsbh": unit.nsrsbh, "ssjswjgDm": office, "cshbz": "Y"}
