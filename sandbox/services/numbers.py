"""QDFPPLFM: blocks of invoice numbers, per unit and year."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, Value

from sandbox import state
from sandbox.models import NumberBlock, NumberSequence, Unit
from sandbox.rules import NUMBER_RE
from sandbox.services.common import SHANGHAI, BusinessError, lock_unit, positive_int
from sandbox.services.quota import MAX_SERIAL

MAX_BLOCK = 5000
CHANNEL = "7"  # 乐企
ACCESS_MODE = "0"  # 自用


def number_prefix(unit: Unit, year: int) -> str:
    province = unit.nsrsbh[2:4]
    if not province.isdigit():
        province = "00"
    return f"{year % 100:02d}{province}{CHANNEL}{ACCESS_MODE}"


@transaction.atomic
def number_block_get(*, unit: Unit, payload: dict) -> dict:
    count = positive_int(payload.get("lysl"), field="lysl", label="领用数量", maximum=MAX_BLOCK)
    ywlsh = str(payload.get("ywlsh") or "").strip()
    if not 1 <= len(ywlsh) <= MAX_SERIAL:
        raise BusinessError("01", f"业务流水号须为1至{MAX_SERIAL}个字符（ywlsh）")
    unit = lock_unit(unit)
    block = NumberBlock.objects.filter(unit=unit, ywlsh=ywlsh).first()
    if block is not None:
        if block.count != count:
            raise BusinessError("11", "业务流水号已使用且领用数量不同（ywlsh）")
        return _answer(block)
    now = state.now()
    year = now.astimezone(SHANGHAI).year
    sequence, _ = NumberSequence.objects.get_or_create(unit=unit, year=year)
    first = sequence.last + 1
    sequence.last += count
    sequence.save(update_fields=["last"])
    block = NumberBlock.objects.create(
        unit=unit, ywlsh=ywlsh, year=year, first=first, count=count, prefix=number_prefix(unit, year), created_at=now
    )
    return _answer(block)


def _answer(block: NumberBlock) -> dict:
    return {
        "qshm": f"{block.prefix}{block.first:014d}",
        "zzhm": f"{block.prefix}{block.first + block.count - 1:014d}",
        "lysl": block.count,
    }


def number_given_to(unit: Unit, fphm: str) -> bool:
    """Whether ``fphm`` lies in one of the unit's blocks (which also fixes its year)."""
    if not NUMBER_RE.match(fphm):
        return False
    sequence = int(fphm[6:])
    return NumberBlock.objects.filter(
        unit=unit, prefix=fphm[:6], year=2000 + int(fphm[:2]), first__lte=sequence, first__gt=Value(sequence) - F("count")
    ).exists()
