"""RQ jobs of red-letter reversal: thin adapters that take ids, call one service, and are safe to run twice.

Services enqueue these by dotted path (``invoicing.enqueue``) and never import this module.
"""

from __future__ import annotations

import logging

from django.db import close_old_connections

from invoicing.redletter import applications, batch, refunds, reminders, sync
from invoicing.taxapi import TaxPlatformError
from stores.models import Company

logger = logging.getLogger(__name__)


def red_letter_form_submit(form_id: int) -> str:
    """Send a stored request to the platform (queue ``tax``); a no-op once it was sent."""
    close_old_connections()
    return applications.red_letter_form_submit(form_id=form_id).submission


def red_letter_forms_sync(company_id: int) -> dict:
    return sync.red_letter_forms_sync(company_id=company_id)


def red_letter_forms_sync_all() -> dict:
    """Periodic: mirror form states and import buyer forms for every company connected to the platform."""
    close_old_connections()
    report = {"companies": 0, "errors": 0}
    for company_id in Company.objects.exclude(platform_unit_id="").values_list("id", flat=True):
        try:
            sync.red_letter_forms_sync(company_id=company_id)
            report["companies"] += 1
        except TaxPlatformError as exc:
            report["errors"] += 1
            logger.info("red form sync of company %s failed: %s", company_id, exc)
    return report


def red_letter_reminders() -> int:
    """Periodic: e-mail store managers about forms with less than 24 h before the automatic void."""
    close_old_connections()
    return reminders.red_letter_reminders_send()


def refund_reverse(refund_id: int) -> str:
    close_old_connections()
    form = refunds.refund_reverse(refund_id=refund_id)
    return form.status_label if form is not None else "waiting"


def refunds_reverse_pending() -> dict:
    """Periodic: reverse issued invoices for refunds that arrived after issue."""
    return refunds.refunds_reverse_pending()


def batch_reversal_run(batch_id: int) -> dict:
    """One batch reversal (queue ``default``); items already processed are skipped."""
    return batch.batch_reversal_run(batch_id=batch_id)
