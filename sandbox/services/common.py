"""Helpers shared by the sandbox's services."""

from __future__ import annotations

from decimal import Decimal

from sandbox.models import Unit
from sandbox.rules import SHANGHAI

__all__ = ["SHANGHAI", "BusinessError", "lock_unit", "positive_int", "rate_text"]


class BusinessError(Exception):
    """A refusal answered inside ``Data`` (HTTP 200) with ``returncode`` and a Chinese message."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


def lock_unit(unit: Unit) -> Unit:
    """Serialise a unit's writes (numbers, quota, uploads, forms) across processes."""
    return Unit.objects.select_for_update().get(pk=unit.pk)


def positive_int(value, *, field: str, label: str, default: int | None = None, maximum: int | None = None) -> int:
    if value in (None, "") and default is not None:
        return default
    limit = f"1至{maximum}" if maximum is not None else "正整数"
    # Counts are JSON numbers (docs/tax-platform.md §4): "1", 1.0 and true are refused, not read.
    if not isinstance(value, int) or isinstance(value, bool):
        raise BusinessError("01", f"{label}须为整数（JSON 数字，不能是字符串或小数）（{field}）")
    if value < 1 or (maximum is not None and value > maximum):
        raise BusinessError("01", f"{label}须为{limit}（{field}）")
    return value


def rate_text(rate: Decimal) -> str:
    """``0.13`` → "0.13", ``0`` → "0.00", ``0.015`` → "0.015"."""
    return str(rate.quantize(Decimal("0.01")) if rate.as_tuple().exponent > -2 else rate.normalize())
