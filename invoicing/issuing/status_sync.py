"""Keeping issued invoices' platform state (normal / red-reversed / booked by the buyer) current."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.issuing.platform import provider_for
from invoicing.models import Invoice
from invoicing.taxapi import TaxPlatformError

logger = logging.getLogger(__name__)
ACTOR = Actor.job("status_sync")


def invoice_status_sync(*, limit: int | None = None) -> dict:
    """FPZTXXCX for issued invoices of the last days not checked within the hour (oldest check first)."""
    close_old_connections()
    now = timezone.now()
    limit = limit or int(settings.TAX_STATUS_SYNC_LIMIT)
    days = int(settings.TAX_STATUS_SYNC_DAYS)
    candidates = list(
        Invoice.objects.select_related("company", "store")
        .filter(status=Invoice.Status.ISSUED, kind=Invoice.Kind.BLUE, confirmed_at__gte=now - timedelta(days=days))
        .filter(Q(platform_checked_at__isnull=True) | Q(platform_checked_at__lt=now - timedelta(hours=1)))
        .order_by(F_nulls_first())[:limit]
    )
    providers = {}
    report = {"checked": 0, "changed": 0, "errors": 0}
    for invoice in candidates:
        provider = providers.get(invoice.company_id)
        if provider is None:
            provider = providers[invoice.company_id] = provider_for(invoice.company)
        try:
            status = provider.invoice_status(number=invoice.number)
        except TaxPlatformError as exc:
            report["errors"] += 1
            logger.info("status sync of invoice %s failed: %s", invoice.pk, exc)
            continue
        report["checked"] += 1
        state = status.state.value + ("+booked" if status.booked_by_buyer else "")
        with transaction.atomic():
            locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
            before = locked.platform_state
            locked.platform_state = state[:20]
            locked.platform_checked_at = timezone.now()
            locked.save(update_fields=["platform_state", "platform_checked_at", "updated_at"])
            if before != locked.platform_state:
                report["changed"] += 1
                audit_record(actor=ACTOR, action="invoice.platform_state", obj=locked, company=invoice.company,
                             store=invoice.store, before={"platform_state": before},
                             after={"platform_state": locked.platform_state})
    return report


def F_nulls_first():  # noqa: N802 - reads as an ordering expression
    from django.db.models import F

    return F("platform_checked_at").asc(nulls_first=True)
