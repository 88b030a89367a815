"""The sandbox's control API: units, the buyer's side, and wiping everything."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal

from django.db import transaction

from sandbox import state
from sandbox.models import Fault, Unit, UploadedInvoice
from sandbox.rules import BadValue, to_money
from sandbox.state import ControlError

TAX_ID_RE = re.compile(r"^[0-9A-Z]{15,20}$")
PUBLIC_KEY_RE = re.compile(r"^(04)?[0-9a-fA-F]{128}$")


def _platform_id() -> str:
    return f"{secrets.randbelow(10**20):020d}"


@transaction.atomic
def unit_register(*, nsrsbh, nsrmc, sign_type=None, public_key=None, zsxed=None, nsrztdm=None, scjydz=None) -> Unit:
    """Register a taxpayer as a connecting unit; registering it again keeps its ids and secret."""
    nsrsbh, nsrmc = str(nsrsbh or "").strip(), str(nsrmc or "").strip()
    if not TAX_ID_RE.match(nsrsbh):
        raise ControlError("nsrsbh 须为15至20位数字或大写字母")
    if not nsrmc:
        raise ControlError("nsrmc 不能为空")
    sign_type = str(sign_type or Unit.SIGN_HMAC).upper()
    if sign_type not in (Unit.SIGN_HMAC, Unit.SIGN_SM2):
        raise ControlError("sign_type 须为 HMAC 或 SM2")
    key = str(public_key or "")
    if sign_type == Unit.SIGN_SM2:
        if not PUBLIC_KEY_RE.match(key):
            raise ControlError("SM2 单位须提供公钥 public_key（128位十六进制 x||y）")
        key = key[-128:].lower()
    unit = Unit.objects.select_for_update().filter(nsrsbh=nsrsbh).first() or Unit(
        nsrsbh=nsrsbh, jrdwptbh=_platform_id(), sydwptbh=_platform_id(), secret=secrets.token_hex(16)
    )
    unit.nsrmc, unit.sign_type, unit.public_key = nsrmc, sign_type, key
    if zsxed is not None:
        try:
            amount = to_money(zsxed)
        except BadValue:
            amount = None
        if amount is None or amount < Decimal("0"):
            raise ControlError("zsxed 须为不小于0的金额")
        unit.monthly_quota = amount
    if nsrztdm is not None:
        unit.nsrztdm = str(nsrztdm)
    if scjydz is not None:
        unit.scjydz = str(scjydz)
    unit.save()
    return unit


def invoice_book(*, fphm: str, booked: bool = True) -> UploadedInvoice | None:
    """The buyer books (勾选) a blue invoice, which makes red-letter forms need confirmation."""
    invoice = UploadedInvoice.objects.filter(fphm=fphm, status=UploadedInvoice.ISSUED, lzfpbz="0").first()
    if invoice is not None:
        invoice.booked = booked
        invoice.save(update_fields=["booked"])
    return invoice


@transaction.atomic
def sandbox_reset() -> None:
    """Wipe every unit (with its numbers, quota, uploads and forms), the faults and the clock."""
    Unit.objects.all().delete()
    Fault.objects.all().delete()
    state.clock_reset()
