"""Number blocks (QDFPPLFM) and quota (XZTHSXED), fetched ahead and counted locally.

Both follow the same pattern: under the company's PlatformState row lock, decide and *store* the
request serial (ywlsh); commit; call the platform; store the answer. A retry after a lost answer
finds the stored serial and asks again with it, and the platform answers the same block or
download again — no numbers or quota are ever fetched twice.
"""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.models import NumberBlock, PlatformState
from invoicing.rules.amounts import money
from invoicing.taxapi import BusinessError

logger = logging.getLogger(__name__)
ACTOR = Actor.job("numbers")


def block_size() -> int:
    return int(settings.TAX_NUMBER_BLOCK_SIZE)


def low_water() -> int:
    return int(settings.TAX_NUMBER_LOW_WATER)


def quota_chunk() -> Decimal:
    return Decimal(str(settings.TAX_QUOTA_DOWNLOAD_CHUNK))


def current_year() -> int:
    return timezone.localtime().year % 100


def platform_state_lock(company) -> PlatformState:
    PlatformState.objects.get_or_create(company=company)
    return PlatformState.objects.select_for_update().get(company=company)


def numbers_available(company) -> int:
    total = NumberBlock.objects.filter(company=company, status=NumberBlock.Status.ACTIVE, year=current_year()).aggregate(
        n=Sum(F("count") - F("used")))["n"]
    return int(total or 0)


def request_serial(company) -> str:
    """A business serial (ywlsh) as the public 乐企 clients make one: the connecting and the using
    unit's platform ids, then 33 random digits (73 characters for 20-character ids)."""
    unit = company.platform_unit_id
    digits = secrets.choice("123456789") + "".join(secrets.choice("0123456789") for _ in range(32))
    return f"{unit}{company.platform_user_unit_id or unit}{digits}"[-100:]


def number_blocks_ensure(*, company, provider, needed: int) -> int:
    """Make sure at least ``needed`` (plus the low-water mark) numbers of this year are on hand."""
    for _ in range(5):
        available = numbers_available(company)
        if available >= needed + low_water():
            return available
        with transaction.atomic():
            platform_state_lock(company)
            block = NumberBlock.objects.filter(company=company, status=NumberBlock.Status.REQUESTED).order_by("id").first()
            if block is None:
                if numbers_available(company) >= needed + low_water():
                    continue
                count = min(max(block_size(), needed), 5000)
                block = NumberBlock.objects.create(company=company, request_serial=request_serial(company), count=count)
                audit_record(actor=ACTOR, action="number_block.request", obj=block, company=company,
                             after={"request_serial": block.request_serial, "count": count})
        answer = provider.fetch_number_block(count=block.count, request_serial=block.request_serial)
        with transaction.atomic():
            block = NumberBlock.objects.select_for_update().get(pk=block.pk)
            if block.status != NumberBlock.Status.REQUESTED:
                continue
            block.first_number, block.last_number = answer.first_number, answer.last_number
            block.count = int(answer.last_number) - int(answer.first_number) + 1
            block.year = int(answer.first_number[:2])
            # A block answered for a past year (a retry across New Year) cannot be used any more.
            block.status = NumberBlock.Status.ACTIVE if block.year == current_year() else NumberBlock.Status.ABANDONED
            block.save(update_fields=["first_number", "last_number", "count", "year", "status", "updated_at"])
            audit_record(actor=ACTOR, action="number_block.receive", obj=block, company=company,
                         after={"first": block.first_number, "last": block.last_number, "status": block.status})
    return numbers_available(company)


def numbers_take(*, company, count: int) -> list[str]:
    """The next ``count`` numbers of this year's blocks, in order (caller's transaction)."""
    taken: list[str] = []
    blocks = NumberBlock.objects.select_for_update().filter(
        company=company, status=NumberBlock.Status.ACTIVE, year=current_year()).order_by("id")
    for block in blocks:
        if len(taken) >= count:
            break
        taken += block.take(count - len(taken))
        block.save(update_fields=["used", "status", "updated_at"])
    return taken


def quota_ensure(*, company, provider, needed: Decimal) -> Decimal:
    """Download quota when the local counter is below ``needed``; returns what is available."""
    needed = money(needed)
    for _ in range(3):
        with transaction.atomic():
            state = platform_state_lock(company)
            if state.quota_available >= needed:
                return state.quota_available
            if not state.quota_request_serial:
                state.quota_request_serial = request_serial(company)
                state.quota_request_amount = max(needed - state.quota_available, quota_chunk())
                state.save(update_fields=["quota_request_serial", "quota_request_amount", "updated_at"])
                audit_record(actor=ACTOR, action="quota.request", obj=state, company=company,
                             after={"serial": state.quota_request_serial, "amount": state.quota_request_amount})
            serial, amount = state.quota_request_serial, state.quota_request_amount
        try:
            provider.download_quota(amount=amount, request_serial=serial)
        except BusinessError as exc:
            if exc.code != "12":
                raise
            # Less is downloadable than we asked: ask for what is left (a new serial), once.
            downloadable = money(provider.query_quota().downloadable)
            with transaction.atomic():
                state = platform_state_lock(company)
                if state.quota_request_serial == serial:
                    state.quota_request_serial = ""
                    state.quota_request_amount = 0
                    if downloadable <= 0 or downloadable + state.quota_available < needed:
                        state.quota_exhausted_at = timezone.now()
                    state.save(update_fields=["quota_request_serial", "quota_request_amount", "quota_exhausted_at",
                                              "updated_at"])
                    if downloadable > 0:
                        state.quota_request_serial = request_serial(company)
                        state.quota_request_amount = downloadable
                        state.save(update_fields=["quota_request_serial", "quota_request_amount", "updated_at"])
                    else:
                        return state.quota_available
            continue
        with transaction.atomic():
            state = platform_state_lock(company)
            if state.quota_request_serial == serial:
                before = state.quota_available
                state.quota_available += amount
                state.quota_request_serial = ""
                state.quota_request_amount = 0
                state.quota_exhausted_at = None
                state.save(update_fields=["quota_available", "quota_request_serial", "quota_request_amount",
                                          "quota_exhausted_at", "updated_at"])
                audit_record(actor=ACTOR, action="quota.download", obj=state, company=company,
                             before={"available": before}, after={"available": state.quota_available, "serial": serial})
    with transaction.atomic():
        return platform_state_lock(company).quota_available


def quota_give_back_locally(*, company, amount: Decimal) -> None:
    """An invoice the platform refused did not consume its quota: count it as available again."""
    if amount:
        PlatformState.objects.filter(company=company).update(quota_available=F("quota_available") + amount)
