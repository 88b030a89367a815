"""QDFPSC, CXQDFPSCJG and FPZTXXCX: the upload → result cycle and invoice status.

Invoices are checked and recorded when uploaded (the unit's row is locked, so numbers and quota
are consistent across processes); the result is shown only once the processing delay is over.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from sandbox import rules, state
from sandbox.models import RedForm, Unit, Upload, UploadedInvoice
from sandbox.rules import ZERO, format_datetime, money_text
from sandbox.services.common import BusinessError, lock_unit
from sandbox.services.numbers import number_given_to
from sandbox.services.quota import month_quota
from sandbox.services.red_forms import STATE_NAMES, form_refresh, red_amounts_by_line

MAX_BATCH = 100
RESULT_RETENTION = timedelta(hours=12)


@transaction.atomic
def invoices_upload(*, unit: Unit, payload: list) -> dict:
    """The body is the list of invoices itself (each names its seller and platform id)."""
    invoices = payload
    if not isinstance(invoices, list) or not invoices:
        raise BusinessError("01", "发票列表不能为空（请求体）")
    if len(invoices) > MAX_BATCH:
        raise BusinessError("13", f"单次上传发票数量不能超过{MAX_BATCH}张")
    unit = lock_unit(unit)
    now = state.now()
    upload = Upload.objects.create(
        unit=unit,
        sllsh=uuid.uuid4().hex,
        created_at=now,
        ready_at=now + timedelta(seconds=state.processing_delay("QDFPSC")),
    )
    quota = month_quota(unit, now, lock=True)
    for position, invoice in enumerate(invoices):
        _process(upload=upload, unit=unit, quota=quota, position=position, invoice=invoice, now=now)
    quota.save(update_fields=["downloaded", "used"])
    return {"sllsh": upload.sllsh}


def _process(*, upload: Upload, unit: Unit, quota, position: int, invoice, now: datetime) -> None:
    fphm = str(invoice.get("fphm") or "") if isinstance(invoice, dict) else ""
    # Amounts may arrive as JSON numbers (read as Decimal): keep them as their exact text.
    stored = json.loads(json.dumps(invoice, default=str)) if isinstance(invoice, dict) else {}
    record = UploadedInvoice(upload=upload, unit=unit, position=position, fphm=fphm, payload=stored)
    issued = UploadedInvoice.objects.filter(unit=unit, fphm=fphm, status=UploadedInvoice.ISSUED).first() if fphm else None
    if issued is not None:
        # Uploaded before: report what the platform holds, never issue it twice.
        record.status, record.returnmsg = UploadedInvoice.DUPLICATE, "发票已上传，重复上传"
        record.jshj, record.hjje, record.kprq = issued.jshj, issued.hjje, issued.kprq
        record.lzfpbz, record.fppz = issued.lzfpbz, issued.fppz
        record.save()
        return

    checked = rules.check_invoice(invoice, seller_nsrsbh=unit.nsrsbh, platform_id=unit.jrdwptbh, now=now)
    if rules.NUMBER_RE.match(fphm) and not number_given_to(unit, fphm):
        checked.add("发票号码不在本单位已领用的号段内（fphm）")
    form = None
    if checked.lzfpbz == "1" and isinstance(invoice, dict):
        form = _check_red(checked, unit=unit, invoice=invoice, now=now)
    if not checked.errors:
        amount = checked.jshj
        if checked.lzfpbz == "0" and amount > quota.downloaded:
            checked.add(f"授信额度不足：已下载可用额度{money_text(quota.downloaded)}（jshj）")
    record.lzfpbz, record.fppz = checked.lzfpbz, checked.fppz
    record.jshj, record.hjje, record.kprq = checked.jshj, checked.hjje, checked.kprq
    if checked.errors:
        record.status, record.returnmsg = UploadedInvoice.REFUSED, "；".join(checked.errors)
        record.save()
        return
    record.status, record.returnmsg = UploadedInvoice.ISSUED, "开具成功"
    record.red_form = form
    record.save()
    if checked.lzfpbz == "0":
        quota.downloaded -= checked.jshj
        quota.used += checked.jshj
    else:
        # A red invoice gives its amount back to the downloaded quota.
        quota.downloaded -= checked.jshj
        quota.used = max(ZERO, quota.used + checked.jshj)


def _check_red(checked: rules.CheckedInvoice, *, unit: Unit, invoice: dict, now: datetime) -> RedForm | None:
    blue_number = str(invoice.get("dylzfphm") or "")
    form_number = str(invoice.get("hzqrxxdbh") or "")
    form_uuid = str(invoice.get("hzqrduuid") or "")
    if not blue_number or not form_number or not form_uuid:
        return None
    blue = UploadedInvoice.objects.filter(
        unit=unit, fphm=blue_number, status=UploadedInvoice.ISSUED, lzfpbz="0"
    ).first()
    if blue is None:
        checked.add("对应蓝字发票不存在（dylzfphm）")
        return None
    form = RedForm.objects.select_for_update().filter(unit=unit, hzqrxxdbh=form_number).first()
    if form is None:
        checked.add("红字确认单不存在（hzqrxxdbh）")
        return None
    form_refresh(form, now=now)
    if form.uuid != form_uuid:
        checked.add("红字确认单uuid与红字确认单编号不符（hzqrduuid）")
        return None
    if form.blue_invoice_id != blue.pk:
        checked.add("红字确认单与对应蓝字发票不符（dylzfphm）")
        return None
    if form.state not in ("01", "04"):
        checked.add(f"红字确认单状态为{form.state}（{STATE_NAMES[form.state]}），不能开具红字发票（hzqrxxdbh）")
        return None
    if form.red_invoices.filter(status=UploadedInvoice.ISSUED).exists():
        checked.add("该红字确认单已开具红字发票（hzqrxxdbh）")
        return None
    rules.check_red_against_form(
        checked,
        form_lines=form.lines,
        hzcxje=form.hzcxje,
        hzcxse=form.hzcxse,
        blue_fppz=blue.fppz,
        blue_payload=blue.payload,
        reversed_by_red=red_amounts_by_line(blue, issued_only=True),
    )
    return form


def upload_result(*, unit: Unit, payload: dict) -> dict:
    """``{sllsh}`` only: the unit is the caller's (headers)."""
    sllsh = str(payload.get("sllsh") or "")
    now = state.now()
    upload = Upload.objects.filter(unit=unit, sllsh=sllsh).first() if sllsh else None
    if upload is None or now - upload.created_at > RESULT_RETENTION:
        raise BusinessError("14", "受理流水号不存在或已过期（sllsh）")
    if now < upload.ready_at:
        return {"sllsh": sllsh, "status": "01", "fpjgList": []}
    return {
        "sllsh": sllsh,
        "status": "00",
        "fpjgList": [
            {
                "fphm": item.fphm,
                "status": item.status,
                "returnmsg": item.returnmsg,
                "jshj": money_text(item.jshj),
                "kprq": format_datetime(item.kprq),
            }
            for item in upload.invoices.all()
        ],
    }


def invoice_status(*, unit: Unit, payload: dict) -> dict:
    fphm = str(payload.get("fphm") or "")
    invoice = UploadedInvoice.objects.filter(unit=unit, fphm=fphm, status=UploadedInvoice.ISSUED).first()
    if invoice is None:
        raise BusinessError("15", "发票不存在（fphm）")
    reversed_total = Decimal("0.00")
    if invoice.lzfpbz == "0":
        red_sum = UploadedInvoice.objects.filter(
            unit=unit, status=UploadedInvoice.ISSUED, lzfpbz="1", red_form__blue_invoice=invoice
        ).aggregate(total=Sum("jshj"))["total"]
        reversed_total = -(red_sum or ZERO)
    if reversed_total == ZERO:
        fpzt = "01"
    elif reversed_total >= invoice.jshj:
        fpzt = "02"
    else:
        fpzt = "03"
    return {
        "fphm": fphm,
        "fpzt": fpzt,
        "gxzt": "Y" if invoice.booked else "N",
        "jshj": money_text(invoice.jshj),
        "kprq": format_datetime(invoice.kprq),
        "yhcje": money_text(reversed_total),
    }
