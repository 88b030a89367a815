"""The sandbox clock and injected faults, kept in the database so every process sees them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sandbox.models import Clock, Fault

FAULT_KINDS = (
    "latency_ms",
    "busy_probability",
    "throttle_per_s",
    "refuse_connections",
    "drop_after_upload",
    "maintenance",
    "processing_delay_s",
)
BOOLEAN_FAULTS = {"refuse_connections", "drop_after_upload", "maintenance"}


class ControlError(ValueError):
    """A control-API request that cannot be carried out; the message says why."""


# --- Clock ---------------------------------------------------------------------------------------

def now() -> datetime:
    """The platform's clock: real time plus the offset set through the control API."""
    offset = Clock.objects.filter(pk=1).values_list("offset_seconds", flat=True).first() or 0.0
    return timezone.now() + timedelta(seconds=offset)


def clock_set(*, offset_s=None, at: str | None = None) -> datetime:
    if at is not None:
        moment = _parse_iso(at)
        offset = (moment - timezone.now()).total_seconds()
    elif offset_s is not None:
        try:
            offset = float(Decimal(str(offset_s)))
        except ArithmeticError:
            raise ControlError("offset_s 须为秒数") from None
    else:
        raise ControlError("须提供 offset_s 或 now")
    Clock.objects.update_or_create(pk=1, defaults={"offset_seconds": offset})
    return now()


def clock_reset() -> datetime:
    Clock.objects.filter(pk=1).delete()
    return now()


def _parse_iso(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise ControlError("now 须为 ISO 8601 时间") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# --- Faults --------------------------------------------------------------------------------------

@transaction.atomic
def faults_set(*, config: dict) -> list[dict]:
    """Add the faults named in ``config`` (replacing earlier ones of the same kind)."""
    services = config.get("services") or []
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise ControlError("services 须为服务代码列表")
    times = config.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ControlError("times 须为正整数")
    unknown = set(config) - set(FAULT_KINDS) - {"services", "times"}
    if unknown:
        raise ControlError(f"未知的故障类型：{', '.join(sorted(unknown))}")
    kinds = [kind for kind in FAULT_KINDS if kind in config]
    if not kinds:
        raise ControlError(f"须至少提供一种故障：{', '.join(FAULT_KINDS)}")
    for kind in kinds:
        value = _fault_value(kind, config[kind])
        Fault.objects.filter(kind=kind).delete()
        Fault.objects.create(kind=kind, value=value, services=services, times_left=times)
    return faults_list()


def _fault_value(kind: str, value):
    if kind in BOOLEAN_FAULTS:
        if not isinstance(value, bool):
            raise ControlError(f"{kind} 须为 true 或 false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ControlError(f"{kind} 须为数字")
    if value < 0 or (kind == "busy_probability" and value > 1):
        raise ControlError(f"{kind} 超出范围")
    return value


def faults_list() -> list[dict]:
    return [
        {"kind": fault.kind, "value": fault.value, "services": fault.services, "times": fault.times_left}
        for fault in Fault.objects.order_by("id")
    ]


def faults_clear() -> None:
    Fault.objects.all().delete()


def _matching(kind: str, service: str) -> list[Fault]:
    return [
        fault for fault in Fault.objects.filter(kind=kind).order_by("id")
        if (not fault.services or service in fault.services) and fault.value is not False and fault.value is not None
        and (fault.times_left is None or fault.times_left > 0)
    ]


def fault_take(kind: str, service: str):
    """The value of an active fault of ``kind`` for ``service``, using up one of its times; else None."""
    for fault in _matching(kind, service):
        if fault.times_left is None:
            return fault.value
        # Atomic across processes: only one caller gets each remaining time.
        if Fault.objects.filter(pk=fault.pk, times_left__gt=0).update(times_left=F("times_left") - 1):
            return fault.value
    return None


def fault_busy(service: str) -> bool:
    """Whether this call is answered 2002 (busy_probability fault)."""
    for fault in _matching("busy_probability", service):
        if random.random() < float(fault.value):
            if fault.times_left is None:
                return True
            return bool(Fault.objects.filter(pk=fault.pk, times_left__gt=0).update(times_left=F("times_left") - 1))
    return False


def processing_delay(service: str) -> float:
    """Seconds between an upload and its result (fault processing_delay_s, else the setting)."""
    value = fault_take("processing_delay_s", service)
    if value is not None:
        return float(value)
    default = getattr(settings, "SANDBOX_PROCESSING_DELAY_S", (0.0, 2.0))
    if isinstance(default, tuple | list):
        return random.uniform(float(default[0]), float(default[1]))
    return float(default)


def throttle_rate(service: str) -> int:
    value = fault_take("throttle_per_s", service)
    if value is not None:
        return int(value)
    return int(getattr(settings, "SANDBOX_THROTTLE_PER_S", 50))
