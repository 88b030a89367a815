"""SCFPHZQRXX and CXFPHZQRXX: the monthly summary confirmation (汇总确认) of issued invoices.

The platform's figures of a month are computed from the invoices it holds for the unit (status 00,
by kprq in Asia/Shanghai). A confirmation must carry exactly those figures, for a month that has
ended, and a month is confirmed once (cancel it first to confirm again).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from sandbox import state
from sandbox.models import SummaryConfirmation, Unit, UploadedInvoice
from sandbox.rules import ZERO, BadValue, format_datetime, money_text, to_money
from sandbox.services.common import SHANGHAI, BusinessError, lock_unit, positive_int

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
TAX_OFFICE_RE = re.compile(r"^1\d{10}$")
MAX_PAGE_SIZE = 1000
UNCONFIRMED = "0"

# (field, label, kind) in the order the platform checks them.
FIGURES = (
    ("lzfpsl", "蓝字发票数量", "count"),
    ("lzfpje", "蓝字发票金额", "money"),
    ("lzfpse", "蓝字发票税额", "money"),
    ("hzfpsl", "红字发票数量", "count"),
    ("hzfpje", "红字发票金额", "money"),
    ("hzfpse", "红字发票税额", "money"),
)


def _month(payload: dict) -> tuple[str, datetime, datetime]:
    """``yf`` and the month's first instant and the next month's, in Shanghai time."""
    yf = str(payload.get("yf") or "")
    match = MONTH_RE.match(yf)
    if match is None:
        raise BusinessError("01", "月份格式须为yyyy-MM（yf）")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=SHANGHAI)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=SHANGHAI)
    return yf, start, end


def _check_common(unit: Unit, payload: dict) -> None:
    if not TAX_OFFICE_RE.match(str(payload.get("xsfsjswjgdm") or "")):
        raise BusinessError("01", "销售方省级税务机关代码须为以1开头的11位数字（xsfsjswjgdm）")
    if str(payload.get("ptbh") or "") != unit.jrdwptbh:
        raise BusinessError("01", "平台编号与接入单位不符（ptbh）")
    if str(payload.get("ywlx") or "") not in ("0", "1"):
        raise BusinessError("01", "业务类型须为0（确认）或1（取消）（ywlx）")


def _issued(unit: Unit, start: datetime, end: datetime):
    return UploadedInvoice.objects.filter(
        unit=unit, status=UploadedInvoice.ISSUED, kprq__gte=start, kprq__lt=end
    ).order_by("kprq", "fphm")


def month_figures(unit: Unit, start: datetime, end: datetime) -> dict:
    """The platform's own counts, amounts and taxes of the month (red amounts are negative)."""
    totals = {"0": [0, ZERO, ZERO], "1": [0, ZERO, ZERO]}
    for lzfpbz, hjje, jshj in _issued(unit, start, end).values_list("lzfpbz", "hjje", "jshj"):
        kind = totals["1" if lzfpbz == "1" else "0"]
        kind[0] += 1
        kind[1] += hjje or ZERO
        kind[2] += (jshj or ZERO) - (hjje or ZERO)
    blue, red = totals["0"], totals["1"]
    return {
        "lzfpsl": blue[0], "lzfpje": money_text(blue[1]), "lzfpse": money_text(blue[2]),
        "hzfpsl": red[0], "hzfpje": money_text(red[1]), "hzfpse": money_text(red[2]),
    }


def _given(payload: dict, name: str, label: str, kind: str):
    value = payload.get(name)
    if value in (None, ""):
        raise BusinessError("01", f"业务类型为0（确认）时{label}必填（{name}）")
    if kind == "count":
        text = str(value)
        if not text.isdigit():
            raise BusinessError("01", f"{label}须为非负整数（{name}）")
        return int(text)
    try:
        amount = to_money(value)
    except BadValue:
        amount = None
    if amount is None:
        raise BusinessError("01", f"{label}须为最多两位小数的金额（{name}）")
    return amount


def _state_answer(yf: str, record: SummaryConfirmation | None) -> dict:
    if record is None:
        return {"yf": yf, "qrzt": UNCONFIRMED, "qrsj": ""}
    moment = record.confirmed_at if record.state == SummaryConfirmation.CONFIRMED else record.cancelled_at
    return {"yf": yf, "qrzt": record.state, "qrsj": format_datetime(moment)}


@transaction.atomic
def summary_upload(*, unit: Unit, payload: dict) -> dict:
    _check_common(unit, payload)
    yf, start, end = _month(payload)
    now = state.now()
    unit = lock_unit(unit)
    record = SummaryConfirmation.objects.filter(unit=unit, yf=yf).first()
    if str(payload["ywlx"]) == "1":
        if record is None or record.state != SummaryConfirmation.CONFIRMED:
            raise BusinessError("18", f"{yf}尚未汇总确认，无需取消（yf）")
        record.state, record.cancelled_at = SummaryConfirmation.CANCELLED, now
        record.save(update_fields=["state", "cancelled_at"])
        return _state_answer(yf, record)
    if now < end:
        raise BusinessError("16", f"{yf}尚未结束，月份结束后才能汇总确认（yf）")
    if record is not None and record.state == SummaryConfirmation.CONFIRMED:
        raise BusinessError("17", f"{yf}已汇总确认，如需重新确认请先取消（yf）")
    platform = month_figures(unit, start, end)
    for name, label, kind in FIGURES:
        given = _given(payload, name, label, kind)
        held = platform[name] if kind == "count" else Decimal(platform[name])
        if given != held:
            shown = held if kind == "count" else money_text(held)
            raise BusinessError("01", f"{label}与平台汇总不符：平台为{shown}，上传为{payload[name]}（{name}）")
    if record is None:
        record = SummaryConfirmation(unit=unit, yf=yf)
    record.state, record.figures, record.confirmed_at, record.cancelled_at = (
        SummaryConfirmation.CONFIRMED, platform, now, None)
    record.save()
    return _state_answer(yf, record)


def summary_query(*, unit: Unit, payload: dict) -> dict:
    _check_common(unit, payload)
    yf, start, end = _month(payload)
    page_number = positive_int(payload.get("pageNumber"), field="pageNumber", label="页码", default=1)
    page_size = positive_int(payload.get("pageSize"), field="pageSize", label="每页条数", default=100,
                             maximum=MAX_PAGE_SIZE)
    invoices = _issued(unit, start, end)
    total = invoices.count()
    page = invoices[(page_number - 1) * page_size: page_number * page_size]
    return {
        **_state_answer(yf, SummaryConfirmation.objects.filter(unit=unit, yf=yf).first()),
        **month_figures(unit, start, end),
        "total": total,
        "pageNumber": page_number,
        "pageSize": page_size,
        "fpList": [
            {
                "fphm": item.fphm,
                "lzfpbz": item.lzfpbz,
                "hjje": money_text(item.hjje),
                "hjse": money_text((item.jshj or ZERO) - (item.hjje or ZERO)),
                "kprq": format_datetime(item.kprq),
            }
            for item in page
        ],
    }
