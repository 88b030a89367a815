"""RQ jobs of the invoicing app: thin adapters that take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from django.db import close_old_connections


def company_batch(company_id: int) -> dict:
    """Resume unfinished uploads of a company, then prepare and upload one new batch (queue ``tax``)."""
    from invoicing.issuing.pipeline import company_batch_run

    return company_batch_run(company_id=company_id)


def upload_batch_poll(batch_id: int) -> str:
    """Ask for an accepted batch's result and apply it (queue ``tax``)."""
    from invoicing.issuing.pipeline import upload_batch_poll as poll

    return poll(batch_id=batch_id)


def number_blocks_refill(company_id: int) -> int:
    """Fetch a new number block when fewer than the low-water mark are left (queue ``tax``)."""
    from invoicing.enqueue import coalesce_release
    from invoicing.issuing.numbers import number_blocks_ensure
    from invoicing.issuing.platform import provider_for
    from stores.models import Company

    coalesce_release("tax", f"refill:{company_id}")
    close_old_connections()
    company = Company.objects.get(pk=company_id)
    return number_blocks_ensure(company=company, provider=provider_for(company), needed=0)


def pipeline_sweep() -> dict:
    """Periodic: re-enqueue pending invoices and unfinished batches whose job was lost."""
    from invoicing.issuing.pipeline import pipeline_sweep as sweep

    return sweep()


def invoice_status_sync() -> dict:
    """Periodic: ask the platform (FPZTXXCX) about recently issued invoices."""
    from invoicing.issuing.status_sync import invoice_status_sync as sync

    return sync()


def webhook_deliver(delivery_id: int) -> None:
    from invoicing.integrations.webhooks import webhook_deliver as deliver

    close_old_connections()
    deliver(delivery_id=delivery_id)
