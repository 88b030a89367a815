"""Writes to the tax-code tables: platform updates and the per-company matching memory."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.models import TaxCode, TaxCodeMatchMemory
from invoicing.taxcodes.normalize import normalize_name

logger = logging.getLogger(__name__)

_CODE = re.compile(r"^\d{19}$")
_FLAGS = {"03", "04"}


@dataclass
class PlatformUpdateResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (code or "?", reason)


def _platform_date(value) -> dt.date | None:
    """``yyyy-MM-dd`` or ``yyyy-MM-dd HH:mm:ss``; empty means open-ended."""
    if not value:
        return None
    return dt.date.fromisoformat(str(value).strip()[:10])


def _platform_rates(values) -> list[str]:
    rates = []
    for value in values or []:
        rate = Decimal(str(value).strip().rstrip("%")) if value not in (None, "") else None
        if rate is None:
            continue
        if str(value).strip().endswith("%"):
            rate = rate / 100
        # One spelling per rate ("0.13", "0.015", "0"), whatever the platform sent ("0.130").
        normalized = rate.normalize()
        rates.append(format(normalized if normalized != 0 else Decimal(0), "f"))
    return sorted(set(rates), key=lambda r: -Decimal(r))


def _fields_from_item(item: dict) -> dict:
    return {
        "name": str(item.get("spmc") or "").strip(),
        "short_name": str(item.get("spjc") or "").strip(),
        "description": str(item.get("sm") or "").strip(),
        "is_summary": str(item.get("hzx") or "").upper() == "Y",
        "rates": _platform_rates(item.get("slList")),
        "preferential": sorted({str(flag) for flag in item.get("yhzcbsList") or [] if str(flag) in _FLAGS}),
        "valid_from": _platform_date(item.get("yxqq")),
        "valid_to": _platform_date(item.get("yxqz")),
    }


@transaction.atomic
def tax_codes_apply_platform_update(*, items: list[dict], actor: Actor | None = None) -> PlatformUpdateResult:
    """Upsert codes and their rates from CXSSFLBM items (``ssflbmList`` of one or more pages).

    The platform is the authority: its name, short name, rates, flags and validity replace
    ours. An item without a 19-digit code, a name, or with a rate that is not a number is
    skipped and reported (and logged), so one bad item never blocks the rest.
    """
    result = PlatformUpdateResult()
    parsed: dict[str, dict] = {}
    for item in items:
        code = str(item.get("sphfwssflhbbm") or "").strip()
        if not _CODE.match(code):
            result.skipped.append((code or "?", "编码不是19位数字"))
            continue
        try:
            values = _fields_from_item(item)
        except (InvalidOperation, ValueError) as exc:
            result.skipped.append((code, f"字段格式错误：{exc}"))
            continue
        if not values["name"]:
            result.skipped.append((code, "缺少商品名称（spmc）"))
            continue
        parsed[code] = values
    return _upsert(parsed, result, actor)


@transaction.atomic
def tax_codes_apply(*, codes, actor: Actor | None = None) -> PlatformUpdateResult:
    """Upsert codes in the provider-neutral form (``invoicing.taxapi.base.TaxCode``), as the
    periodic sync receives them from any provider."""
    result = PlatformUpdateResult()
    parsed: dict[str, dict] = {}
    for item in codes:
        if not _CODE.match(item.code or "") or not (item.name or "").strip():
            result.skipped.append((item.code or "?", "编码不是19位数字或缺少名称"))
            continue
        parsed[item.code] = {
            "name": item.name.strip(), "short_name": (item.short_name or "").strip(),
            "description": (item.description or "").strip(), "is_summary": bool(item.is_summary),
            "rates": _platform_rates(item.rates),
            "preferential": sorted({str(flag) for flag in item.preferential_policies if str(flag) in _FLAGS}),
            "valid_from": item.valid_from.date() if item.valid_from else None,
            "valid_to": item.valid_to.date() if item.valid_to else None,
        }
    return _upsert(parsed, result, actor)


def _upsert(parsed: dict[str, dict], result: PlatformUpdateResult, actor: Actor | None) -> PlatformUpdateResult:
    existing = TaxCode.objects.in_bulk(list(parsed))
    to_create, to_update = [], []
    for code, values in parsed.items():
        row = existing.get(code)
        if row is None:
            to_create.append(TaxCode(code=code, **values))
            result.created.append(code)
            continue
        if all(getattr(row, name) == value for name, value in values.items()):
            result.unchanged += 1
            continue
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = timezone.now()  # bulk_update does not run auto_now
        to_update.append(row)
        result.updated.append(code)
    TaxCode.objects.bulk_create(to_create, batch_size=1000)
    TaxCode.objects.bulk_update(to_update, [*_UPDATE_FIELDS, "updated_at"], batch_size=1000)
    if result.skipped:
        logger.warning("tax code update skipped %d items: %s", len(result.skipped), result.skipped[:20])
    if result.created or result.updated:
        audit_record(
            actor=actor or Actor.job("tax_codes_platform_update"),
            action="tax_codes.platform_update",
            object_type="invoicing.taxcode",
            object_id="*",
            after={"created": result.created, "updated": result.updated, "skipped": len(result.skipped)},
            object_repr=f"税收分类编码更新：新增{len(result.created)}，修改{len(result.updated)}",
        )
    return result


_UPDATE_FIELDS = ["name", "short_name", "description", "is_summary", "rates", "preferential", "valid_from", "valid_to"]


@transaction.atomic
def tax_code_remember(*, company, product_name: str, code: str, rate=None) -> TaxCodeMatchMemory:
    """Remember that ``company`` invoices ``product_name`` under ``code`` (accepted or corrected).

    A correction replaces the earlier code for the same normalized name; accepting the same
    code again counts a hit. ``rate`` (the rate the company invoiced it at) is kept with it, so
    an order line that names neither code nor rate can still be coded from memory; a choice
    without a rate keeps the rate remembered for the same code.
    """

    normalized = normalize_name(product_name)[:200]
    if not normalized:
        raise ValueError("商品名称归一化后为空，无法记忆赋码")
    now = timezone.now()
    memory = TaxCodeMatchMemory.objects.select_for_update().filter(company=company, normalized_name=normalized).first()
    if memory is None:
        return TaxCodeMatchMemory.objects.create(
            company=company, normalized_name=normalized, product_name=product_name[:300], code_id=code,
            rate=rate, last_used=now,
        )
    if memory.code_id == code:
        memory.hits += 1
        memory.rate = rate if rate is not None else memory.rate
    else:
        memory.code_id, memory.hits, memory.rate = code, 1, rate
    memory.product_name = product_name[:300]
    memory.last_used = now
    memory.save(update_fields=["code", "hits", "rate", "product_name", "last_used"])
    return memory
