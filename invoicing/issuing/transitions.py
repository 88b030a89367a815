"""Invoice status transitions: the allowed ones as one table, and ``record_transitions``.

``record_transitions`` is the one place that writes a change of state — the row, its audit event,
a timeline step, the day figures and (after commit) deliveries and webhooks — in the caller's
transaction, for one invoice or a batch of 100. A transition missing from ``ALLOWED`` is a bug
and raises.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from audit.services import Actor, AuditEntry, audit_record_many
from invoicing.dashboard.stats import StatsDelta, category_stats_record_issued
from invoicing.delivery.services import delivery_enqueue_for_issued
from invoicing.integrations.webhooks import webhooks_queue_for_invoices
from invoicing.models import Invoice, InvoiceEvent

S = Invoice.Status

# status before → the statuses it may become. Created as DRAFT (waiting for a person) or PENDING.
# ISSUED is final: a 数电票 is never voided, only reversed by a red invoice of its own.
ALLOWED: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PENDING, S.CANCELLED}),
    S.PENDING: frozenset({S.UPLOADING, S.FAILED, S.CANCELLED}),
    S.UPLOADING: frozenset({S.ISSUED, S.FAILED}),
    S.FAILED: frozenset({S.PENDING, S.CANCELLED}),
    S.ISSUED: frozenset(),
    S.CANCELLED: frozenset(),
}


class IllegalTransition(ValueError):
    """A status change the table does not allow (a programming error, never a user's)."""


def invoice_snapshot(invoice: Invoice) -> dict:
    return {
        "status": invoice.status,
        "number": invoice.number,
        "total_with_tax": invoice.total_with_tax,
        "failure_code": invoice.failure_code,
        "failure_message": invoice.failure_message,
        "upload_batch": invoice.upload_batch_id,
    }


@dataclass
class Transition:
    invoice: Invoice
    before: dict
    message: str = ""


def begin(invoice: Invoice, message: str = "") -> Transition:
    """Snapshot an invoice before changing it in memory."""
    return Transition(invoice=invoice, before=invoice_snapshot(invoice), message=message)


def record_transitions(transitions: Iterable[Transition], *, actor: Actor, action: str,
                       update_fields: list[str] | None = None, stats: StatsDelta | None = None) -> None:
    """Save the changed invoices and write audit rows, timeline, day figures and webhooks."""
    transitions = list(transitions)
    if not transitions:
        return
    for t in transitions:
        before, after = t.before["status"], t.invoice.status
        if before != after and after not in ALLOWED[before]:
            raise IllegalTransition(f"invoice {t.invoice.pk}: {before} → {after} is not an allowed transition")
    now = timezone.now()
    invoices = [t.invoice for t in transitions]
    for invoice in invoices:
        invoice.updated_at = now
    if update_fields is not None:
        bulk_set(invoices, [*update_fields, "updated_at"])
    own_stats = stats is None
    stats = stats or StatsDelta()
    events = []
    audit_record_many([AuditEntry(actor=actor, action=action, obj=t.invoice, company=t.invoice.company,
                                  store=t.invoice.store, before=t.before, after=invoice_snapshot(t.invoice))
                       for t in transitions])
    for t in transitions:
        invoice = t.invoice
        if t.before["status"] != invoice.status or t.message:
            events.append(InvoiceEvent(
                invoice=invoice, created_at=now, status_from=t.before["status"] or "", status_to=invoice.status,
                message=(t.message or invoice.failure_message or "")[:500], actor_label=actor.label[:150],
            ))
        if t.before["status"] != invoice.status:
            if invoice.status == S.ISSUED:
                stats.invoice_issued(invoice)
            elif invoice.status == S.FAILED:
                stats.invoice_failed(invoice, moment=now)
    InvoiceEvent.objects.bulk_create(events)
    if own_stats:
        stats.write()
    newly_issued = [t.invoice for t in transitions if t.before["status"] != S.ISSUED and t.invoice.status == S.ISSUED]
    if newly_issued:
        category_stats_record_issued(invoices=newly_issued)
        if settings.INVOICE_AUTO_DELIVERY:
            for invoice in newly_issued:
                delivery_enqueue_for_issued(invoice.pk)  # after commit; the delivery sweep catches a miss
    changed = [t.invoice for t in transitions
               if t.before["status"] != t.invoice.status and t.invoice.status in (S.ISSUED, S.FAILED, S.CANCELLED)]
    webhooks_queue_for_invoices(changed)


def bulk_set(invoices: list[Invoice], fields: list[str]) -> None:
    """Write ``fields`` of many invoices: one UPDATE for values they share, one UPDATE … FROM VALUES for the rest.

    Django's bulk_update builds a CASE expression per field and row, which costs more than the rest
    of a 100-invoice batch together.
    """
    meta = Invoice._meta
    same, varying = {}, []
    for name in fields:
        field = meta.get_field(name)
        values = {json.dumps(getattr(inv, field.attname), sort_keys=True, default=str) for inv in invoices}
        if len(values) == 1:
            same[field.attname] = getattr(invoices[0], field.attname)
        else:
            varying.append(field)
    ids = [inv.pk for inv in invoices]
    if same:
        Invoice.objects.filter(pk__in=ids).update(**same)
    if not varying:
        return
    types = ["bigint", *(field.db_type(connection) for field in varying)]
    row = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
    params = []
    for inv in invoices:
        params.append(inv.pk)
        params += [field.get_db_prep_save(getattr(inv, field.attname), connection) for field in varying]
    columns = ", ".join(field.column for field in varying)
    assignments = ", ".join(f"{field.column} = v.{field.column}" for field in varying)
    sql = (f"UPDATE {meta.db_table} AS t SET {assignments} FROM (VALUES {', '.join([row] * len(invoices))}) "  # noqa: S608 - column names from the model
           f"AS v(id, {columns}) WHERE t.id = v.id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
