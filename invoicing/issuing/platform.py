"""Talking to the tax platform from jobs: the shared per-unit rate limit and the taxpayer check.

All workers share one fixed-window limit per connecting unit in Redis (a Lua script: INCR and
EXPIRE in one step), so that the platform's per-second throttle (2001) is not hit blindly.
"""

from __future__ import annotations

import logging
import time

import django_rq
from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from invoicing.taxapi import get_provider

logger = logging.getLogger(__name__)

_WINDOW_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""
TAXPAYER_OK = {"03", "09"}


def rate_limit_wait(unit_id: str) -> None:
    """Block until this unit may make one more call in the current one-second window."""
    limit = int(settings.TAX_PLATFORM_RATE_PER_SECOND)
    if limit <= 0:
        return
    try:
        connection = django_rq.get_connection("tax")
        script = connection.register_script(_WINDOW_SCRIPT)
        for _ in range(200):
            window = int(time.time())
            if script(keys=[f"kaipiao:ratelimit:{unit_id}:{window}"], args=[2000]) <= limit:
                return
            time.sleep(max(window + 1 - time.time(), 0.01))
    except RedisError as exc:
        # Without Redis the job could not have been dequeued; a blip here only loses the limit.
        logger.warning("rate limiter unavailable for unit %s: %s", unit_id, exc)


class LimitedProvider:
    """The company's provider with every call going through the shared rate limit."""

    def __init__(self, company):
        self._provider = get_provider(company)
        self._unit = company.platform_unit_id or str(company.pk)

    def __getattr__(self, name):
        attr = getattr(self._provider, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            rate_limit_wait(self._unit)
            return attr(*args, **kwargs)

        return call


def provider_for(company) -> LimitedProvider:
    return LimitedProvider(company)


def taxpayer_refusal(company, provider) -> str:
    """'' when the taxpayer may issue (status 03/09, cached 1 h), else the Chinese reason."""
    key = f"taxpayer-status:{company.pk}:{company.tax_id}"
    status = cache.get(key)
    if status is None:
        info = provider.taxpayer_info()
        status = f"{info.status_code}|{info.status_name}"
        cache.set(key, status, timeout=int(settings.TAXPAYER_STATUS_TTL))
    code, _, name = status.partition("|")
    if code in TAXPAYER_OK:
        return ""
    return f"纳税人状态为“{name or code}”（{code}），税务平台不允许开票；请联系主管税务机关处理后再重新提交"
