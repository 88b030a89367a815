"""Periodic job: at the start of each month, our figures of the previous month for every company."""

from __future__ import annotations

import logging

from invoicing.summary.services import previous_month, summary_compute
from stores.models import Company

logger = logging.getLogger(__name__)


def monthly_summaries_compute() -> dict:
    """Store each company's figures of the previous month (MonthlySummary) from our own records.

    Runs hourly (config/cron_jobs.py), so the first run after midnight on the 1st (Shanghai) stores
    the month; later runs refresh an unconfirmed month (an invoice of the last evening that became
    issued after midnight is counted) and leave a confirmed one alone. Safe to run twice.
    """
    month = previous_month()
    companies = Company.objects.order_by("pk")
    for company in companies:
        summary_compute(company=company, month=month)
    logger.info("monthly summaries computed for %s: %s companies", month, len(companies))
    return {"month": month, "companies": len(companies)}
