"""Periodic job: keep the tax classification codes and their rates current from the platform."""

from __future__ import annotations

import logging

from django.core.cache import cache

from audit.services import Actor
from invoicing.taxapi import get_provider
from invoicing.taxcodes.services import tax_codes_apply
from stores.models import Company

logger = logging.getLogger(__name__)

WATERMARK_KEY = "taxcodes:platform-watermark"
PAGE_SIZE = 1000


def tax_codes_sync() -> dict:
    """Fetch the codes changed since the last watermark (CXSSFLBM), page by page, and upsert them.

    The code table is national, so any company with platform credentials can ask. The watermark
    is kept in Redis; if it is lost the next run fetches the whole table, which is harmless
    (the upsert is idempotent). Safe to run twice.
    """

    company = Company.objects.exclude(platform_secret_encrypted=b"").order_by("pk").first()
    if company is None:
        logger.info("tax code sync: no company has platform credentials yet")
        return {"pages": 0}
    provider = get_provider(company)
    since = cache.get(WATERMARK_KEY)
    totals = {"pages": 0, "created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    page_no, watermark = 1, since
    while True:
        page = provider.tax_codes(since=since, page_no=page_no, page_size=PAGE_SIZE)
        result = tax_codes_apply(codes=page.codes, actor=Actor.job("tax_codes_sync"))
        totals["pages"] += 1
        for name in ("created", "updated", "skipped"):
            totals[name] += len(getattr(result, name))
        totals["unchanged"] += result.unchanged
        watermark = page.watermark or watermark
        if not page.has_more or not page.codes:
            break
        page_no += 1
    if watermark is not None:
        cache.set(WATERMARK_KEY, watermark, timeout=None)
    logger.info("tax code sync: %s", totals)
    return totals
