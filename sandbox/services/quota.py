"""CXSXED and XZTHSXED: the credit quota (授信额度) a unit downloads and uses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from sandbox import state
from sandbox.models import Quota, QuotaRequest, Unit
from sandbox.rules import BadValue, money_text, to_money
from sandbox.services.common import SHANGHAI, BusinessError, lock_unit

# The public clients send the two units' platform ids and 33 random digits (73 characters).
MAX_SERIAL = 100


def month_quota(unit: Unit, now: datetime, *, lock: bool = False) -> Quota:
    month = now.astimezone(SHANGHAI).strftime("%Y%m")
    quota, _ = Quota.objects.get_or_create(unit=unit, month=month, defaults={"total": unit.monthly_quota})
    if lock:
        quota = Quota.objects.select_for_update().get(pk=quota.pk)
    return quota


def quota_query(*, unit: Unit, payload: dict) -> dict:
    quota = month_quota(unit, state.now())
    return {
        "zsxed": money_text(quota.total),
        "yxzsxed": money_text(quota.downloaded),
        "kyxzsxed": money_text(quota.downloadable),
        "ysyed": money_text(quota.used),
    }


@transaction.atomic
def quota_transfer(*, unit: Unit, payload: dict) -> dict:
    sqlx = str(payload.get("sqlx") or "")
    if sqlx not in ("0", "1"):
        raise BusinessError("01", "申请类型须为0（下载）或1（退回）（sqlx）")
    try:
        amount = to_money(payload.get("sqed"))
    except BadValue:
        amount = None
    if amount is None or amount <= Decimal("0"):
        raise BusinessError("01", "申请额度须为大于0、最多两位小数的金额（sqed）")
    ywlsh = str(payload.get("ywlsh") or "").strip()
    if not 1 <= len(ywlsh) <= MAX_SERIAL:
        raise BusinessError("01", f"业务流水号须为1至{MAX_SERIAL}个字符（ywlsh）")
    if str(payload.get("ptbh") or "") != unit.jrdwptbh:
        raise BusinessError("01", "平台编号与接入单位不符（ptbh）")
    unit = lock_unit(unit)
    earlier = QuotaRequest.objects.filter(unit=unit, ywlsh=ywlsh).first()
    if earlier is not None:
        if earlier.sqlx != sqlx or earlier.sqed != amount:
            raise BusinessError("11", "业务流水号已使用且申请内容不同（ywlsh）")
        return earlier.answer
    quota = month_quota(unit, state.now(), lock=True)
    if sqlx == "0":
        if amount > quota.downloadable:
            raise BusinessError("12", f"额度不足：可下载额度为{money_text(quota.downloadable)}（sqed）")
        quota.downloaded += amount
    else:
        if amount > quota.downloaded:
            raise BusinessError("12", f"额度不足：已下载未使用额度为{money_text(quota.downloaded)}（sqed）")
        quota.downloaded -= amount
    quota.save(update_fields=["downloaded"])
    answer = {"sqlx": sqlx, "sqed": money_text(amount), "yxzsxed": money_text(quota.downloaded)}
    QuotaRequest.objects.create(unit=unit, ywlsh=ywlsh, sqlx=sqlx, sqed=amount, answer=answer)
    return answer


def quota_extend(*, unit: Unit, payload: dict) -> dict:
    """TZSXEDYXQ ``{xsfnsrsbh, sxedsq}``: keep a month's downloaded quota valid (ours: this month or
    the last one; the answer repeats the month and says it is valid until the end of the next)."""
    month = str(payload.get("sxedsq") or "")
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=SHANGHAI)
    except ValueError:
        raise BusinessError("01", "发票额度属期格式须为yyyy-MM（sxedsq）") from None
    now = state.now().astimezone(SHANGHAI)
    months_back = (now.year - start.year) * 12 + now.month - start.month
    if months_back not in (0, 1):
        raise BusinessError("01", "只能调整本月或上月的发票额度有效期（sxedsq）")
    end_year, end_month = (start.year + (start.month + 1) // 12, (start.month + 1) % 12 + 1)
    return {"sxedsq": month, "yxqz": f"{end_year:04d}-{end_month:02d}-01 00:00:00"}
