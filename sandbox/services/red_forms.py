"""QDHZQRDSQ, QDHZQRDQR, CXQDHZQRDLB, CXQDHZQRDMX and the buyer's side of red-letter forms.

States (TAX_PLATFORM.md): 01 no confirmation needed · 02 entered by seller, awaiting buyer ·
03 entered by buyer, awaiting seller · 04 confirmed · 05 buyer denied · 06 seller denied ·
07 not confirmed within 72 h · 08 revoked · 09 revoked after confirmation · 10 abnormal voucher.
Expiry is evaluated lazily, against the sandbox clock, whenever a form is read or acted upon.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction

from sandbox import rules, state
from sandbox.models import RedForm, Unit, UploadedInvoice
from sandbox.rules import ZERO, format_datetime, money_text, parse_datetime
from sandbox.services.common import BusinessError, lock_unit, positive_int

STATE_NAMES = {
    "01": "无需确认",
    "02": "销方录入待购方确认",
    "03": "购方录入待销方确认",
    "04": "购销双方已确认",
    "05": "作废（购方否认）",
    "06": "作废（销方否认）",
    "07": "作废（超72小时未确认）",
    "08": "作废（发起方已撤销）",
    "09": "作废（确认后撤销）",
    "10": "作废（异常凭证）",
}
CONFIRM_WINDOW = timedelta(hours=72)
AWAITING = {RedForm.SELLER: "03", RedForm.BUYER: "02"}  # the state in which each party may answer
ACTIONS = {"Y": "确认", "N": "否认", "C": "撤销"}


def form_refresh(form: RedForm, *, now: datetime) -> RedForm:
    """Void a form still awaiting an answer 72 h after it was entered (state 07)."""
    if form.state in ("02", "03") and now > form.expires_at:
        form.state = "07"
        form.save(update_fields=["state"])
    return form


def red_amounts_by_line(blue: UploadedInvoice, *, issued_only: bool) -> dict[int, Decimal]:
    """Positive amounts taken from each blue line: by forms not void, or by issued red invoices."""
    forms = RedForm.objects.filter(blue_invoice=blue)
    if issued_only:
        forms = forms.filter(red_invoices__status=UploadedInvoice.ISSUED).distinct()
    else:
        forms = forms.filter(state__in=RedForm.OPEN_STATES)
    totals: dict[int, Decimal] = {}
    for form in forms:
        for line in form.lines:
            totals[line["lzmxxh"]] = totals.get(line["lzmxxh"], ZERO) - Decimal(line["je"])
    return totals


def _blue_invoice(unit: Unit, number: str) -> UploadedInvoice:
    blue = UploadedInvoice.objects.filter(
        unit=unit, fphm=number, status=UploadedInvoice.ISSUED, lzfpbz="0"
    ).first() if number else None
    if blue is None:
        raise BusinessError("15", "蓝字发票不存在（lzfphm）")
    return blue


def _form_create(*, unit: Unit, payload: dict, entered_by: str) -> RedForm:
    unit = lock_unit(unit)
    now = state.now()
    blue = _blue_invoice(unit, str(payload.get("lzfphm") or ""))
    for form in RedForm.objects.filter(blue_invoice=blue):
        form_refresh(form, now=now)
    taken = red_amounts_by_line(blue, issued_only=False)
    check = rules.check_red_form(
        payload, blue_payload=blue.payload, reversed_amounts=taken, reversed_before=bool(taken)
    )
    if check.errors:
        raise BusinessError(check.code, "；".join(check.errors))
    if entered_by == RedForm.BUYER:
        form_state = "03"
    else:
        form_state = "02" if blue.booked else "01"
    form = RedForm.objects.create(
        unit=unit, uuid=uuid.uuid4().hex, hzqrxxdbh=uuid.uuid4().hex[:20], blue_invoice=blue, state=form_state,
        lrfsf=entered_by, chyydm=str(payload.get("chyyDm")), hzcxje=check.hzcxje, hzcxse=check.hzcxse,
        lines=check.lines, created_at=now, expires_at=now + CONFIRM_WINDOW, last_actor=entered_by,
    )
    form.hzqrxxdbh = f"{now.astimezone(rules.SHANGHAI):%Y%m%d}{form.pk:012d}"
    form.save(update_fields=["hzqrxxdbh"])
    return form


@transaction.atomic
def red_form_apply(*, unit: Unit, payload: dict) -> dict:
    if str(payload.get("lrfsf") or "") != RedForm.SELLER:
        raise BusinessError("01", "录入方身份须为0（销售方）（lrfsf）")
    form = _form_create(unit=unit, payload=payload, entered_by=RedForm.SELLER)
    return {"uuid": form.uuid, "hzqrxxdbh": form.hzqrxxdbh, "hzqrxxztDm": form.state,
            "yxqz": format_datetime(form.expires_at)}


@transaction.atomic
def red_form_buyer_enter(*, nsrsbh: str, payload: dict) -> dict:
    """The buyer enters a form against a seller's blue invoice (control API): state 03."""
    unit = Unit.objects.filter(nsrsbh=nsrsbh).first()
    if unit is None:
        field = "xsfnsrsbh" if payload.get("xsfnsrsbh") else "nsrsbh"
        raise BusinessError("10", f"销售方纳税人识别号不存在（{field}）")
    form = _form_create(unit=unit, payload=payload, entered_by=RedForm.BUYER)
    return _detail(form)


def wire_lines(form: RedForm) -> list[dict]:
    """The form's lines in QDHZQRDSQ's names (``hzqrdmxList``)."""
    return [
        {
            "lzmxxh": line["lzmxxh"], "xh": position, "sphfwssflhbbm": line["sphfwssflhbbm"],
            "hwhyslwfwmc": line.get("hwhyslwfwmc", ""), "spfwjc": line.get("spfwjc", ""), "xmmc": line["xmmc"],
            "ggxh": line["ggxh"], "dw": line["dw"], "fpspsl": line["sl"], "fpspdj": line["dj"], "je": line["je"],
            "sl1": line["slv"], "se": line["se"],
        }
        for position, line in enumerate(form.lines, start=1)
    ]


def _detail(form: RedForm) -> dict:
    return _summary(form) | {"chyyDm": form.chyydm, "hzqrdmxList": wire_lines(form)}


def _act(form: RedForm, *, actor: str, action: str, now: datetime) -> RedForm:
    form_refresh(form, now=now)
    if action in ("Y", "N") and form.state == AWAITING[actor]:
        if action == "Y":
            form.state, form.confirmed = "04", True
        else:
            form.state = "06" if actor == RedForm.SELLER else "05"
    elif (
        action == "C"
        and form.state in RedForm.OPEN_STATES
        and form.last_actor == actor
        and not form.red_invoices.filter(status=UploadedInvoice.ISSUED).exists()
    ):
        form.state = "09" if form.confirmed else "08"
    else:
        raise BusinessError(
            "17", f"红字确认单状态为{form.state}（{STATE_NAMES[form.state]}），不允许{ACTIONS[action]}（qrlx）"
        )
    form.last_actor = actor
    form.save(update_fields=["state", "confirmed", "last_actor"])
    return form


def _form_for(unit: Unit, form_uuid: str, *, lock: bool = False) -> RedForm:
    forms = RedForm.objects.filter(unit=unit, uuid=form_uuid) if form_uuid else RedForm.objects.none()
    form = (forms.select_for_update() if lock else forms).first()
    if form is None:
        raise BusinessError("01", "红字确认单不存在（uuid）")
    return form


@transaction.atomic
def red_form_act(*, unit: Unit, payload: dict) -> dict:
    action = str(payload.get("qrlx") or "")
    if action not in ACTIONS:
        raise BusinessError("01", "确认类型须为Y（确认）、N（否认）或C（撤销）（qrlx）")
    form = _form_for(unit, str(payload.get("uuid") or ""), lock=True)
    if str(payload.get("hzqrdbh") or "") != form.hzqrxxdbh:
        raise BusinessError("01", "红字确认单编号与uuid不符（hzqrdbh）")
    form = _act(form, actor=RedForm.SELLER, action=action, now=state.now())
    return {"uuid": form.uuid, "hzqrxxztDm": form.state}


@transaction.atomic
def red_form_buyer_act(*, form_uuid: str, action: str) -> dict:
    """The buyer confirms, denies or revokes a form (control API)."""
    codes = {"confirm": "Y", "deny": "N", "revoke": "C"}
    if action not in codes:
        raise BusinessError("01", "action 须为 confirm、deny 或 revoke（action）")
    form = RedForm.objects.select_for_update().filter(uuid=form_uuid).first()
    if form is None:
        raise BusinessError("01", "红字确认单不存在（uuid）")
    form = _act(form, actor=RedForm.BUYER, action=codes[action], now=state.now())
    return {"uuid": form.uuid, "hzqrxxztDm": form.state}


@transaction.atomic
def red_form_mark_abnormal(*, form_uuid: str) -> dict:
    """The tax office voids a form over an abnormal voucher (state 10; control API)."""
    form = RedForm.objects.select_for_update().filter(uuid=form_uuid).first()
    if form is None:
        raise BusinessError("01", "红字确认单不存在（uuid）")
    form_refresh(form, now=state.now())
    if form.state not in RedForm.OPEN_STATES or form.red_invoices.filter(status=UploadedInvoice.ISSUED).exists():
        raise BusinessError("17", f"红字确认单状态为{form.state}（{STATE_NAMES[form.state]}），不能作废")
    form.state = "10"
    form.save(update_fields=["state"])
    return {"uuid": form.uuid, "hzqrxxztDm": form.state}


def _summary(form: RedForm) -> dict:
    blue = form.blue_invoice.payload or {}
    return {
        "uuid": form.uuid,
        "hzqrxxdbh": form.hzqrxxdbh,
        "hzqrxxztDm": form.state,
        "lrfsf": form.lrfsf,
        "xsfnsrsbh": form.unit.nsrsbh,
        "xsfmc": str(blue.get("xsfmc") or form.unit.nsrmc),
        "gmfnsrsbh": str(blue.get("gmfnsrsbh") or ""),
        "gmfmc": str(blue.get("gmfmc") or ""),
        "lzfphm": form.blue_invoice.fphm,
        "lzfppzDm": form.blue_invoice.fppz,
        "hzcxje": money_text(form.hzcxje),
        "hzcxse": money_text(form.hzcxse),
        "lrrq": format_datetime(form.created_at),
        "yxqz": format_datetime(form.expires_at),
        "ykjhzfpbz": "Y" if form.red_invoices.filter(status=UploadedInvoice.ISSUED).exists() else "N",
    }


def _day_bound(value, *, end: bool, field: str):
    text = str(value or "").strip()
    if not text:
        return None
    moment = parse_datetime(text if len(text) > 10 else f"{text} {'23:59:59' if end else '00:00:00'}")
    if moment is None:
        raise BusinessError("01", f"日期格式须为yyyy-MM-dd或yyyy-MM-dd HH:mm:ss（{field}）")
    return moment


def red_form_list(*, unit: Unit, payload: dict) -> dict:
    """CXQDHZQRDLB: the unit's forms as seller (``yhjslx`` 0) or as buyer (1), filtered."""
    now = state.now()
    page = positive_int(payload.get("pageNumber"), field="pageNumber", label="页码", default=1)
    size = positive_int(payload.get("pageSize"), field="pageSize", label="每页条数", default=50, maximum=1000)
    start = _day_bound(payload.get("lrrqq"), end=False, field="lrrqq")
    end = _day_bound(payload.get("lrrqz"), end=True, field="lrrqz")
    role = str(payload.get("yhjslx") or "0")
    if role not in ("0", "1"):
        raise BusinessError("01", "用户角色类型须为0（销方）或1（购方）（yhjslx）")
    forms = RedForm.objects.select_related("blue_invoice", "unit").order_by("created_at", "pk")
    if role == "0":
        forms = forms.filter(unit=unit)
    else:
        forms = forms.filter(blue_invoice__payload__gmfnsrsbh=unit.nsrsbh)
    if start:
        forms = forms.filter(created_at__gte=start)
    if end:
        forms = forms.filter(created_at__lte=end)
    exact = {"lrfsf": "lrfsf", "lzfphm": "blue_invoice__fphm", "hzfpxxqrdbh": "hzqrxxdbh",
             "fppzDm": "blue_invoice__fppz"}
    for name, lookup in exact.items():
        value = str(payload.get(name) or "").strip()
        if value:
            forms = forms.filter(**{lookup: value})
    other = str(payload.get("gmfnsrsbh" if role == "0" else "xsfnsrsbh") or "").strip()
    if other:
        forms = forms.filter(**({"blue_invoice__payload__gmfnsrsbh": other} if role == "0" else {"unit__nsrsbh": other}))
    forms = [form_refresh(form, now=now) for form in forms]
    wanted = str(payload.get("hzqrxxztDm") or "")
    if wanted:
        forms = [form for form in forms if form.state == wanted]
    return {"total": len(forms), "list": [_summary(form) for form in forms[(page - 1) * size : page * size]]}


def red_form_detail(*, unit: Unit, payload: dict) -> dict:
    form = form_refresh(_form_for(unit, str(payload.get("uuid") or "")), now=state.now())
    return _detail(form)
