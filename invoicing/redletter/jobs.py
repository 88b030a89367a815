"""RQ jobs of red-letter reversal: thin adapters that take ids, call one service, and are safe to run twice."""

from __future__ import annotations

import logging

from django.db import close_old_connections

logger = logging.getLogger(__name__)


def red_letter_form_submit(form_id: int) -> str:
    """Send a stored request to the platform (queue ``tax``); a no-op once it was sent."""
    from invoicing.redletter.services import red_letter_form_submit as submit

    close_old_connections()
    return submit(form_id=form_id).submission


def red_letter_forms_sync(company_id: int) -> dict:
    from invoicing.redletter.services import red_letter_forms_sync as sync

    return sync(company_id=company_id)


def red_letter_forms_sync_all() -> dict:
    """Periodic: mirror form states and import buyer forms for every company connected to the platform."""
    from invoicing.redletter.services import red_letter_forms_sync as sync
    from invoicing.taxapi import TaxPlatformError
    from stores.models import Company

    close_old_connections()
    report = {"companies": 0, "errors": 0}
    for company_id in Company.objects.exclude(platform_unit_id="").values_list("id", flat=True):
        try:
            sync(company_id=company_id)
            report["companies"] += 1
        except TaxPlatformError as exc:
            report["errors"] += 1
            logger.info("red form sync of company %s failed: %s", company_id, exc)
    return report


def red_letter_reminders() -> int:
    """Periodic: e-mail store managers about forms with less than 24 h before the automatic void."""
    from invoicing.redletter.services import red_letter_reminders_send

    close_old_connections()
    return red_letter_reminders_send()


def refund_reverse(refund_id: int) -> str:
    from invoicing.redletter.services import refund_reverse as reverse

    close_old_connections()
    form = reverse(refund_id=refund_id)
    return form.status_label if form is not None else "waiting"


def refunds_reverse_pending() -> dict:
    """Periodic: reverse issued invoices for refunds that arrived after issue."""
    from invoicing.redletter.services import refunds_reverse_pending as run

    return run()


def batch_reversal_run(batch_id: int) -> dict:
    """One batch reversal (queue ``default``); items already processed are skipped."""
    from invoicing.redletter.services import batch_reversal_run as run

    return run(batch_id=batch_id)
