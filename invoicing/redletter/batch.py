"""Batch reversal: many full reversals with one reason, run as a job; one failure never stops the rest.
"""

from __future__ import annotations

import logging

from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.concurrency import create_once
from invoicing.enqueue import enqueue
from invoicing.errors import ServiceError
from invoicing.models import (
    BatchReversal,
    BatchReversalItem,
    Invoice,
    RedLetterForm,
)
from invoicing.redletter import rules
from invoicing.redletter.applications import (
    red_letter_form_request,
    red_letter_form_schedule_submit,
    red_letter_form_submit,
)
from invoicing.redletter.common import F_
from invoicing.taxapi import RetryableError

logger = logging.getLogger(__name__)


def batch_reversal_create(*, company, actor: Actor, reason: str, invoices: list[Invoice], selection: dict,
                          submission_key: str | None = None) -> tuple[BatchReversal, bool]:
    """A batch of full reversals with one reason; the work runs as a job on the "default" queue.

    ``(batch, created)``: a submission key used before gives back its batch, never a second one.
    """
    return create_once(
        key=submission_key, constraint="batch_reversal_submission_once",
        find=lambda: BatchReversal.objects.filter(company=company, submission_key=submission_key).first(),
        create=lambda: _batch_reversal_write(company=company, actor=actor, reason=reason, invoices=invoices,
                                             selection=selection, submission_key=submission_key))


@transaction.atomic
def _batch_reversal_write(*, company, actor: Actor, reason: str, invoices: list[Invoice], selection: dict,
                          submission_key: str | None) -> BatchReversal:
    if reason not in rules.REASONS:
        raise ServiceError("red_reason", "请选择红冲原因：01开票有误、02销货退回、03服务中止或04销售折让")
    if not invoices:
        raise ServiceError("batch_empty", "没有符合条件的已开具蓝字发票，请调整门店、日期或发票号码")
    batch = BatchReversal.objects.create(company=company, reason=reason, selection=selection, total=len(invoices),
                                         created_by=actor.user, created_by_label=actor.label[:150],
                                         submission_key=submission_key)
    BatchReversalItem.objects.bulk_create([BatchReversalItem(batch=batch, invoice=invoice) for invoice in invoices])
    audit_record(actor=actor, action="batch_reversal.create", obj=batch, company=company,
                 after={"reason": reason, "total": batch.total, "selection": selection})
    batch_id = batch.pk
    transaction.on_commit(lambda: batch_reversal_schedule(batch_id))
    return batch


def batch_reversal_schedule(batch_id: int) -> bool:
    return enqueue("default", "invoicing.redletter.jobs.batch_reversal_run", batch_id, job_id=f"redletter-batch-{batch_id}")


def batch_reversal_run(*, batch_id: int) -> dict:
    """Process every pending item; each commits on its own and one failure never stops the rest."""
    close_old_connections()
    BatchReversal.objects.filter(pk=batch_id, status=BatchReversal.Status.QUEUED).update(
        status=BatchReversal.Status.RUNNING, started_at=timezone.now())
    batch = BatchReversal.objects.select_related("company", "created_by").get(pk=batch_id)
    actor = Actor.for_user(batch.created_by) if batch.created_by else Actor.job(f"batch_reversal:{batch_id}")
    for item_id in list(batch.items.filter(outcome=BatchReversalItem.Outcome.PENDING).values_list("id", flat=True)):
        try:
            batch_reversal_item_process(item_id=item_id, actor=actor)
        except Exception as exc:  # noqa: BLE001 - one invoice's surprise must not stop the batch; kept on the item
            logger.exception("batch reversal %s item %s failed", batch_id, item_id)
            _item_finish(item_id, BatchReversalItem.Outcome.FAILED, f"处理出错：{exc}")
    with transaction.atomic():
        batch = BatchReversal.objects.select_for_update().get(pk=batch_id)
        if not batch.items.filter(outcome=BatchReversalItem.Outcome.PENDING).exists():
            batch.status = BatchReversal.Status.DONE
            batch.finished_at = timezone.now()
            batch.save(update_fields=["status", "finished_at"])
            audit_record(actor=actor, action="batch_reversal.done", obj=batch, company=batch.company,
                         after={"total": batch.total, "succeeded": batch.succeeded, "failed": batch.failed})
    return {"processed": batch.processed, "succeeded": batch.succeeded, "failed": batch.failed}


def batch_reversal_item_process(*, item_id: int, actor: Actor) -> str:
    item = BatchReversalItem.objects.select_related("batch", "invoice").get(pk=item_id)
    if item.outcome != BatchReversalItem.Outcome.PENDING:
        return item.outcome
    try:
        form = red_letter_form_request(invoice=item.invoice, actor=actor, reason=item.batch.reason, full=True,
                                       note=f"批量红冲 #{item.batch_id}")
    except ServiceError as exc:
        return _item_finish(item_id, BatchReversalItem.Outcome.FAILED, exc.message)
    try:
        form = red_letter_form_submit(form_id=form.pk)
    except RetryableError as exc:
        red_letter_form_schedule_submit(form.pk, delay=10)
        return _item_finish(item_id, BatchReversalItem.Outcome.APPLIED,
                            f"已保存申请，税务平台繁忙（{exc.message}），稍后自动提交", form=form)
    if form.submission == F_.Submission.REFUSED:
        return _item_finish(item_id, BatchReversalItem.Outcome.FAILED, form.note, form=form)
    return _item_finish(item_id, BatchReversalItem.Outcome.APPLIED,
                        f"红字确认单 {form.number or '（待核实）'}：{form.status_label}", form=form)


@transaction.atomic
def _item_finish(item_id: int, outcome: str, message: str, *, form: RedLetterForm | None = None) -> str:
    item = BatchReversalItem.objects.select_for_update().get(pk=item_id)
    if item.outcome != BatchReversalItem.Outcome.PENDING:
        return item.outcome
    item.outcome, item.message, item.form, item.processed_at = outcome, message[:500], form, timezone.now()
    item.save()
    counter = "succeeded" if outcome == BatchReversalItem.Outcome.APPLIED else "failed"
    BatchReversal.objects.filter(pk=item.batch_id).update(processed=F("processed") + 1, **{counter: F(counter) + 1})
    return outcome
