"""Invoice state changes: each writes the row, its audit event, a timeline step, the day figures
and (after commit) the webhooks, in the caller's transaction.

``record_transitions`` is the one place that does this, for one invoice or a batch of 100.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.services import Actor, AuditEntry, audit_record_many
from invoicing.dashboard.stats import StatsDelta
from invoicing.models import Invoice, InvoiceEvent, InvoiceLine

S = Invoice.Status


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
        from invoicing.dashboard.stats import category_stats_record_issued
        from invoicing.delivery.services import delivery_enqueue_for_issued

        category_stats_record_issued(invoices=newly_issued)
        if settings.INVOICE_AUTO_DELIVERY:
            for invoice in newly_issued:
                delivery_enqueue_for_issued(invoice.pk)  # after commit; the delivery sweep catches a miss
    from invoicing.integrations.webhooks import webhooks_queue_for_invoices

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


def _company_invoice_lock(invoice_id: int) -> Invoice:
    return Invoice.objects.select_for_update().select_related("company", "store").get(pk=invoice_id)


@transaction.atomic
def invoice_cancel(*, invoice: Invoice, actor: Actor, reason: str = "") -> Invoice:
    """Cancel an invoice that was never uploaded (a 数电票 that was issued can only be reversed)."""
    from invoicing.errors import ServiceError

    invoice = _company_invoice_lock(invoice.pk)
    if invoice.status not in (S.DRAFT, S.PENDING, S.FAILED):
        if invoice.status == S.ISSUED:
            raise ServiceError("invoice_issued", "数电发票开具后不能作废或取消，只能开具红字发票冲销")
        raise ServiceError("invoice_uploading", "发票正在上传税务平台，不能取消；请等待结果")
    t = begin(invoice, reason or "已取消")
    invoice.status = S.CANCELLED
    record_transitions([t], actor=actor, action="invoice.cancel", update_fields=["status"])
    return invoice


@transaction.atomic
def invoice_submit(*, invoice: Invoice, actor: Actor) -> Invoice:
    """Send a draft (waiting for a person) to the pipeline."""
    from invoicing.errors import ServiceError
    from invoicing.issuing.pipeline import schedule_company_batch

    invoice = _company_invoice_lock(invoice.pk)
    if invoice.status != S.DRAFT:
        raise ServiceError("invoice_not_draft", "只有草稿状态的发票可以提交开具")
    from invoicing.taxcodes.coding import remember_accepted, uncoded_lines

    uncoded = uncoded_lines(invoice)
    if uncoded:
        rows = "、".join(f"第{n}行" for n in uncoded[:10]) + ("等" if len(uncoded) > 10 else "")
        raise ServiceError("invoice_lines_uncoded",
                           f"{rows}尚未选择税收分类编码，请先为这些明细选择编码，再提交开具")
    remembered = remember_accepted(invoice)
    message = "提交开具"
    if remembered:
        message += "；已记住" + "、".join(f"第{n}行" for n in remembered) + "的税收分类编码，同名商品下次自动赋码"
    t = begin(invoice, message)
    invoice.status = S.PENDING
    record_transitions([t], actor=actor, action="invoice.submit", update_fields=["status"])
    transaction.on_commit(lambda: schedule_company_batch(invoice.company_id))
    return invoice


@transaction.atomic
def invoice_resubmit(*, invoice: Invoice, actor: Actor) -> Invoice:
    """Send a failed invoice (after it was fixed) back to the pipeline.

    Number reuse: a number the platform *refused* (per-invoice status 02, or a whole batch refused
    before processing) was never consumed by an issued invoice, so the invoice keeps it and uploads
    it again with the corrected content — unless the year changed (numbers never cross a year).
    A number the platform holds for *another* content (03 with a different total) is never reused:
    the invoice gives it up (kept in ``previous_numbers``) and gets a fresh one.
    """
    from invoicing.errors import ServiceError
    from invoicing.issuing.pipeline import REUSABLE_NUMBER_FAILURES, schedule_company_batch

    invoice = _company_invoice_lock(invoice.pk)
    if invoice.status != S.FAILED:
        raise ServiceError("invoice_not_failed", "只有开具失败的发票可以重新提交")
    t = begin(invoice, "修改后重新提交")
    current_year = timezone.localtime().strftime("%y")
    if invoice.number and (invoice.failure_code not in REUSABLE_NUMBER_FAILURES
                           or invoice.number[:2] != current_year):
        invoice.previous_numbers = [*invoice.previous_numbers, invoice.number]
        invoice.number = None
    invoice.status = S.PENDING
    invoice.failure_code = ""
    invoice.failure_message = ""
    invoice.upload_batch = None
    record_transitions([t], actor=actor, action="invoice.resubmit",
                       update_fields=["status", "number", "previous_numbers", "failure_code", "failure_message",
                                      "upload_batch"])
    transaction.on_commit(lambda: schedule_company_batch(invoice.company_id))
    return invoice


def invoice_lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(invoice.lines.order_by("line_no"))
