"""RQ jobs of issuing (queue ``tax``): thin adapters that take ids, call one service, and are safe to run twice.

Services enqueue these by dotted path (``invoicing.enqueue``) and never import this module.
"""

from __future__ import annotations

from django.db import close_old_connections

from invoicing import enqueue as q
from invoicing.issuing import pipeline, status_sync
from invoicing.issuing.numbers import number_blocks_ensure
from invoicing.issuing.platform import provider_for
from stores.models import Company


def company_batch(company_id: int) -> dict:
    """Resume unfinished uploads of a company, then prepare and upload one new batch."""
    return pipeline.company_batch_run(company_id=company_id)


def upload_batch_poll(batch_id: int) -> str:
    """Ask for an accepted batch's result and apply it."""
    return pipeline.upload_batch_poll(batch_id=batch_id)


def number_blocks_refill(company_id: int) -> int:
    """Fetch a new number block when fewer than the low-water mark are left."""
    q.coalesce_release("tax", f"refill:{company_id}")
    close_old_connections()
    company = Company.objects.get(pk=company_id)
    return number_blocks_ensure(company=company, provider=provider_for(company), needed=0)


def pipeline_sweep() -> dict:
    """Periodic: re-enqueue pending invoices and unfinished batches whose job was lost."""
    return pipeline.pipeline_sweep()


def invoice_status_sync() -> dict:
    """Periodic: ask the platform (FPZTXXCX) about recently issued invoices."""
    return status_sync.invoice_status_sync()
