"""The issuing pipeline: pending invoices → local checks → numbers → upload → result.

See ARCHITECTURE.md ("Data flow") and docs/api.md ("What happens after an order"). The steps
that call the platform are not one transaction; each step commits what it learned *before* the
next call, so a crash anywhere leaves a state the next run (or the sweeper) can finish:

- ``batch_prepare`` (one transaction): claim ≤ 100 pending invoices with SKIP LOCKED, check them,
  assign numbers and the issue time, store the request as an ``UploadBatch`` (``prepared``).
- ``upload_batch_send``: claim the batch (``sending``), call QDFPSC, store the serial
  (``accepted``). Retryable → back to ``prepared`` and the job is retried; unknown outcome →
  ``unknown``, resolved by sending the very same request again (the platform answers
  "03 uploaded before" for what it has — compared, never issued twice); permanent → the
  invoices fail with the reason.
- ``upload_batch_poll``: CXQDFPSCJG until processed, then ``apply_upload_result``.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Min
from django.utils import timezone

from audit.services import Actor, AuditEntry, audit_record_many
from invoicing import enqueue as q
from invoicing.concurrency import retry_on_conflict
from invoicing.dashboard.stats import StatsDelta
from invoicing.issuing.drafts import draft_from_invoice, draft_validate
from invoicing.issuing.numbers import (
    current_year,
    low_water,
    number_blocks_ensure,
    numbers_available,
    numbers_take,
    platform_state_lock,
    quota_ensure,
    quota_give_back_locally,
)
from invoicing.issuing.platform import provider_for, taxpayer_refusal
from invoicing.issuing.transitions import begin, record_transitions
from invoicing.models import Invoice, InvoiceLine, Order, Refund, UploadBatch
from invoicing.platform_mapping import format_issue_time, invoice_payload
from invoicing.taxapi import PermanentError, RetryableError, UnknownOutcomeError
from invoicing.taxapi.base import InvoiceOutcomeStatus
from invoicing.taxapi.errors import BusinessError
from invoicing.taxcodes.selectors import tax_code_lookup_for
from stores.models import Company

logger = logging.getLogger(__name__)

S = Invoice.Status
B = UploadBatch.Status
ACTOR = Actor.job("pipeline")
BATCH_SIZE = 100

# Failure codes (Invoice.failure_code), also the keys of StoreDayStats.failed_by_reason.
VALIDATION = "validation"
PLATFORM_REFUSED = "platform_refused"
BATCH_REFUSED = "batch_refused"
PLATFORM_MISMATCH = "platform_mismatch"
TAXPAYER_STATUS = "taxpayer_status"
QUOTA = "quota"
UNPREPARABLE = "unpreparable"  # preparing this one invoice raised: it is set aside, the batch goes on
# A number the platform refused, or that never left us, was never consumed by an issued invoice:
# the fixed invoice may upload it again (see invoice_resubmit).
REUSABLE_NUMBER_FAILURES = {PLATFORM_REFUSED, BATCH_REFUSED, UNPREPARABLE}


def poll_delay() -> float:
    return float(settings.TAX_POLL_DELAY)


# --- scheduling -----------------------------------------------------------------------------------


def schedule_company_batch(company_id: int, *, delay: float = 0) -> bool:
    """Enqueue the company's batch job unless one is already waiting (never raises)."""
    return q.enqueue("tax", "invoicing.issuing.jobs.company_batch", company_id, delay=delay, retry=True,
                     coalesce_key=f"batch:{company_id}", coalesce_ttl=60)


def schedule_poll(batch_id: int, *, delay: float | None = None) -> bool:
    return q.enqueue("tax", "invoicing.issuing.jobs.upload_batch_poll", batch_id, delay=poll_delay() if delay is None else delay)


# --- the batch job --------------------------------------------------------------------------------


def company_batch_run(*, company_id: int) -> dict:
    """One run for one company: resume unfinished uploads, then prepare and send one new batch."""
    q.coalesce_release("tax", f"batch:{company_id}")
    close_old_connections()
    company = Company.objects.get(pk=company_id)
    provider = provider_for(company)
    report = {"resumed": 0, "prepared": 0}
    stuck_before = timezone.now() - timedelta(seconds=int(settings.TAX_STUCK_SENDING_SECONDS))
    UploadBatch.objects.filter(company=company, status=B.SENDING, claimed_at__lt=stuck_before).update(
        status=B.UNKNOWN, last_error="上传中断（进程退出），将以相同号码重新上传核实")
    for batch_id in (UploadBatch.objects.filter(company=company, status__in=[B.PREPARED, B.UNKNOWN])
                     .order_by("id").values_list("id", flat=True)[:20]):
        upload_batch_send(batch_id=batch_id, provider=provider)
        report["resumed"] += 1

    head = list(Invoice.objects.filter(company=company, status=S.PENDING).order_by("id")
                .values_list("total_with_tax", flat=True)[:BATCH_SIZE])
    if not head:
        return report
    refusal = taxpayer_refusal(company, provider)
    if not refusal:
        number_blocks_ensure(company=company, provider=provider, needed=len(head))
        quota_ensure(company=company, provider=provider, needed=sum(head, Decimal(0)))
    batch = batch_prepare(company=company, refusal=refusal)
    if batch is not None:
        report["prepared"] = batch.invoice_count
    # More waiting: let another worker start on the next batch while this one uploads.
    if report["prepared"] and Invoice.objects.filter(company=company, status=S.PENDING).exists():
        schedule_company_batch(company_id)
    # Fetch the next number block ahead of need, off this batch's path.
    if not refusal and numbers_available(company) < low_water():
        q.enqueue("tax", "invoicing.issuing.jobs.number_blocks_refill", company_id, retry=True,
                  coalesce_key=f"refill:{company_id}", coalesce_ttl=60)
    if batch is not None and batch.invoice_count:
        upload_batch_send(batch_id=batch.pk, provider=provider)
    return report


def batch_prepare(*, company, refusal: str = "") -> UploadBatch | None:
    """Claim up to 100 pending invoices, check them, number them and store the upload request."""
    with transaction.atomic():
        invoices = list(
            Invoice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("company", "store", "order", "blue_invoice")
            .filter(company=company, status=S.PENDING).order_by("id")[:BATCH_SIZE]
        )
        if not invoices:
            return None
        lines_by_invoice: dict[int, list[InvoiceLine]] = {}
        for line in InvoiceLine.objects.filter(invoice__in=invoices).order_by("invoice_id", "line_no"):
            lines_by_invoice.setdefault(line.invoice_id, []).append(line)

        # The codes as the database has them (kept current from the platform), one query per batch.
        code_lookup = tax_code_lookup_for(codes={line.tax_code for lines in lines_by_invoice.values() for line in lines})
        failed, ready = [], []
        for invoice in invoices:
            lines = lines_by_invoice.get(invoice.pk, [])
            if refusal:
                failed.append(_fail(invoice, TAXPAYER_STATUS, refusal))
                continue
            try:
                result = draft_validate(draft_from_invoice(invoice, lines), lookup=code_lookup)
            except Exception as exc:  # noqa: BLE001 - one invoice's bad data must not stop the company's batch
                failed.append(_quarantine(invoice, exc))
                continue
            if not result.ok:
                message = "；".join(error.message for error in result.errors[:5])
                failed.append(_fail(invoice, VALIDATION, f"本地校验未通过：{message}。请修改后重新提交"))
                continue
            ready.append(invoice)

        state = platform_state_lock(company)
        fitting, used = [], Decimal(0)
        for invoice in ready:
            if used + invoice.total_with_tax <= state.quota_available:
                fitting.append(invoice)
                used += invoice.total_with_tax
            elif state.quota_exhausted_at is not None and not fitting:
                failed.append(_fail(invoice, QUOTA, "本月授信额度不足，无法开具；请向主管税务机关申请调整授信额度后重新提交"))
            # Otherwise it stays pending: the next run downloads more quota first.
        year = f"{current_year():02d}"
        needing = [inv for inv in fitting if not inv.number or inv.number[:2] != year]
        numbers = numbers_take(company=company, count=len(needing))
        for invoice, number in zip(needing, numbers, strict=False):
            if invoice.number:
                invoice.previous_numbers = [*invoice.previous_numbers, invoice.number]
            invoice.number = number
        fitting = [inv for inv in fitting if inv.number and inv.number[:2] == year]
        issue_time = timezone.now().replace(microsecond=0)
        payloads, uploadable = [], []
        for invoice in fitting:
            invoice.issued_at = issue_time  # saved only with the number_assign transition below
            try:
                payloads.append(invoice_payload(invoice, lines_by_invoice.get(invoice.pk, [])))
            except Exception as exc:  # noqa: BLE001 - as above; it keeps its number, which never left us
                failed.append(_quarantine(invoice, exc))
                continue
            uploadable.append(invoice)
        fitting = uploadable
        quota_used = sum((inv.total_with_tax for inv in fitting), Decimal(0))
        if quota_used:
            state.quota_available -= quota_used
            state.save(update_fields=["quota_available", "updated_at"])

        batch = None
        transitions = []
        if fitting:
            for invoice in fitting:
                transitions.append(begin(invoice, f"分配发票号码 {invoice.number}，准备上传"))
                invoice.status = S.UPLOADING
            batch = UploadBatch.objects.create(company=company, status=B.PREPARED, request={"fplist": payloads},
                                               invoice_count=len(fitting))
            for invoice in fitting:
                invoice.upload_batch = batch
        stats = StatsDelta()
        record_transitions(transitions, actor=ACTOR, action="invoice.number_assign", stats=stats,
                           update_fields=["status", "number", "previous_numbers", "issued_at", "upload_batch"])
        record_transitions([f for f in failed], actor=ACTOR, action="invoice.fail", stats=stats,
                           update_fields=["status", "failure_code", "failure_message", "number", "previous_numbers"])
        stats.write()
        _orders_follow([t.invoice for t in failed])
        return batch


def _quarantine(invoice: Invoice, error: Exception):
    """An invoice whose preparation raised: failed with a reason a person can act on, not retried."""
    logger.exception("invoice %s (company %s) could not be prepared; set aside", invoice.pk, invoice.company_id,
                     exc_info=error)
    return _fail(invoice, UNPREPARABLE, (
        f"发票数据无法处理（{type(error).__name__}），已单独暂停，同批其他发票照常开具；"
        "请检查购方、明细和金额后修改并重新提交，或联系技术支持（发票编号 "
        f"{invoice.pk}）"))


def _fail(invoice: Invoice, code: str, message: str):
    t = begin(invoice, message)
    invoice.status = S.FAILED
    invoice.failure_code = code
    invoice.failure_message = message
    return t


def _orders_follow(invoices) -> None:
    """Keep the order's status in step with its (blue) invoice."""
    issued = [inv.order_id for inv in invoices if inv.order_id and inv.kind == "blue" and inv.status == S.ISSUED]
    failed = [inv.order_id for inv in invoices if inv.order_id and inv.kind == "blue" and inv.status == S.FAILED]
    if issued:
        Order.objects.filter(pk__in=issued).update(status=Order.Status.INVOICED)
    if failed:
        Order.objects.filter(pk__in=failed).update(status=Order.Status.INVOICE_FAILED)


def _refunds_follow(invoices) -> None:
    """A refund is reversed when its red invoice is issued, in the transaction that records the issue."""
    red = [inv.pk for inv in invoices if inv.kind == Invoice.Kind.RED and inv.status == S.ISSUED]
    if not red:
        return
    # Locked after the invoices and before the audit chain head (invoicing.concurrency).
    refunds = list(Refund.objects.select_for_update(of=("self",)).select_related("company", "store")
                   .filter(red_invoice_id__in=red, status=Refund.Status.AWAITING_RED_LETTER).order_by("id"))
    Refund.objects.filter(pk__in=[r.pk for r in refunds]).update(status=Refund.Status.REVERSED)
    audit_record_many([
        AuditEntry(actor=ACTOR, action="refund.reversed", obj=refund, company=refund.company, store=refund.store,
                   before={"status": refund.status},
                   after={"status": Refund.Status.REVERSED, "red_invoice": refund.red_invoice_id})
        for refund in refunds
    ])


# --- sending --------------------------------------------------------------------------------------


def _retrying_db(fn):
    """Run a short write; if the connection dropped under us (e.g. after a platform call), reconnect once.

    The platform already acted on the call, so losing what it answered would cost a round of
    reconciliation; one reconnect is enough to keep it.
    """
    try:
        return fn()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        logger.warning("database connection lost after a platform call; reconnecting", exc_info=True)
        connection.close()
        return fn()


def upload_batch_send(*, batch_id: int, provider=None) -> str:
    """Upload a prepared (or unknown) batch; returns what happened."""
    claimed = UploadBatch.objects.filter(pk=batch_id, status__in=[B.PREPARED, B.UNKNOWN]).update(
        status=B.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1, updated_at=timezone.now())
    if not claimed:
        return "not_claimable"
    batch = UploadBatch.objects.select_related("company").get(pk=batch_id)
    provider = provider or provider_for(batch.company)
    try:
        accepted = provider.upload_invoices(invoices=batch.request["fplist"])
    except RetryableError as exc:
        _batch_mark(batch_id, B.PREPARED, exc.message)
        raise
    except UnknownOutcomeError as exc:
        _batch_mark(batch_id, B.UNKNOWN, exc.message)
        schedule_company_batch(batch.company_id, delay=_first_retry_interval())
        return "unknown"
    except PermanentError as exc:
        error = exc
        _retrying_db(lambda: batch_refuse(batch_id=batch_id, error=error))
        return "refused"
    _retrying_db(lambda: UploadBatch.objects.filter(pk=batch_id).update(
        status=B.ACCEPTED, acceptance_serial=accepted.acceptance_serial, polls=0, last_error="",
        updated_at=timezone.now()))
    schedule_poll(batch_id)
    return "accepted"


def _batch_mark(batch_id: int, status: str, message: str) -> None:
    _retrying_db(lambda: UploadBatch.objects.filter(pk=batch_id).update(
        status=status, last_error=message[:500], updated_at=timezone.now()))


def _first_retry_interval() -> float:
    intervals = list(settings.TAX_RETRY_INTERVALS)
    return float(intervals[0]) if intervals else 0


@transaction.atomic
def batch_refuse(*, batch_id: int, error: PermanentError) -> None:
    """The platform refused the whole call (before processing): fail its invoices with the reason."""
    batch = UploadBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status in (B.DONE, B.FAILED):
        return
    batch.status = B.FAILED
    batch.last_error = f"{error.code} {error.message}"[:500]
    batch.save(update_fields=["status", "last_error", "updated_at"])
    invoices = list(Invoice.objects.select_for_update(of=("self",)).select_related("company", "store", "order")
                    .filter(upload_batch=batch, status=S.UPLOADING))
    message = f"税务平台拒绝了本批上传（{error.code}）：{error.message}。请按提示处理后重新提交"
    transitions = [_fail(invoice, BATCH_REFUSED, message) for invoice in invoices]
    record_transitions(transitions, actor=ACTOR, action="invoice.fail",
                       update_fields=["status", "failure_code", "failure_message"])
    quota_give_back_locally(company=batch.company, amount=sum((i.total_with_tax for i in invoices), Decimal(0)))
    _orders_follow(invoices)


# --- results --------------------------------------------------------------------------------------


def upload_batch_poll(*, batch_id: int) -> str:
    close_old_connections()
    batch = UploadBatch.objects.select_related("company").get(pk=batch_id)
    if batch.status != B.ACCEPTED:
        return "not_accepted"
    provider = provider_for(batch.company)
    try:
        result = provider.upload_result(acceptance_serial=batch.acceptance_serial)
    except (RetryableError, UnknownOutcomeError) as exc:
        UploadBatch.objects.filter(pk=batch_id).update(polls=F("polls") + 1, last_error=exc.message[:500])
        schedule_poll(batch_id, delay=max(poll_delay(), 1))
        return "retry"
    except BusinessError as exc:
        if exc.code == "14":  # serial unknown or expired: send the same request again to learn the outcome
            UploadBatch.objects.filter(pk=batch_id, status=B.ACCEPTED).update(
                status=B.UNKNOWN, last_error=exc.message[:500], updated_at=timezone.now())
            schedule_company_batch(batch.company_id)
            return "expired"
        raise
    if result.processing:
        UploadBatch.objects.filter(pk=batch_id).update(polls=F("polls") + 1, updated_at=timezone.now())
        if batch.polls + 1 < int(settings.TAX_POLL_MAX):
            if poll_delay() == 0:
                time.sleep(0.2)
            schedule_poll(batch_id)
        return "processing"
    _retrying_db(lambda: apply_upload_result(batch_id=batch_id, outcomes=result.outcomes))
    return "applied"


@retry_on_conflict
@transaction.atomic
def apply_upload_result(*, batch_id: int, outcomes) -> None:
    batch = UploadBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status != B.ACCEPTED:
        return
    invoices = {inv.number: inv for inv in Invoice.objects.select_for_update(of=("self",))
                .select_related("company", "store", "order").filter(upload_batch=batch, status=S.UPLOADING)}
    now = timezone.now()
    issued, failed = [], []
    give_back = Decimal(0)
    for outcome in outcomes:
        invoice = invoices.pop(outcome.number, None)
        if invoice is None:
            continue
        if outcome.status == InvoiceOutcomeStatus.ISSUED:
            issued.append(_issue(invoice, now, "税务平台已确认开具"))
        elif outcome.status == InvoiceOutcomeStatus.REFUSED:
            failed.append(_fail(invoice, PLATFORM_REFUSED,
                                f"税务平台拒绝：{outcome.message}。请按提示修改后重新提交（原发票号码保留重用）"))
            give_back += invoice.total_with_tax
        else:  # uploaded before: the platform holds this number; compare, never issue again
            same_total = outcome.total_with_tax is not None and outcome.total_with_tax == invoice.total_with_tax
            same_time = outcome.issued_at is None or format_issue_time(outcome.issued_at) == format_issue_time(
                invoice.issued_at)
            if same_total and same_time:
                issued.append(_issue(invoice, now, "平台已有该号码的发票且金额、开票日期一致，确认为已开具"))
            else:
                failed.append(_fail(invoice, PLATFORM_MISMATCH, (
                    f"税务平台已有号码 {invoice.number} 的发票，但价税合计（平台 {outcome.total_with_tax}，本地 "
                    f"{invoice.total_with_tax}）或开票日期不一致；请人工核对平台上的发票，切勿重复开具")))
                give_back += invoice.total_with_tax
    batch.status = B.UNKNOWN if invoices else B.DONE
    if invoices:
        batch.last_error = f"{len(invoices)} 张发票未出现在上传结果中，将以相同号码重新上传核实"
    batch.save(update_fields=["status", "last_error", "updated_at"])
    stats = StatsDelta()
    _refunds_follow([t.invoice for t in issued])  # before the audit rows: the chain head is locked last
    record_transitions(issued, actor=ACTOR, action="invoice.issue", stats=stats,
                       update_fields=["status", "confirmed_at", "platform_state"])
    record_transitions(failed, actor=ACTOR, action="invoice.fail", stats=stats,
                       update_fields=["status", "failure_code", "failure_message"])
    stats.write()
    quota_give_back_locally(company=batch.company, amount=give_back)
    _orders_follow([t.invoice for t in issued + failed])
    if invoices:
        transaction.on_commit(lambda: schedule_company_batch(batch.company_id))


def _issue(invoice: Invoice, now, message: str):
    t = begin(invoice, message)
    invoice.status = S.ISSUED
    invoice.confirmed_at = now
    invoice.platform_state = "normal"
    return t


# --- the sweeper ----------------------------------------------------------------------------------


def pipeline_sweep() -> dict:
    """Find work whose job was lost (Redis down, worker killed) and enqueue it again. Idempotent."""
    close_old_connections()
    now = timezone.now()
    pending_age = timedelta(seconds=int(settings.TAX_SWEEP_PENDING_AGE))
    stuck_age = timedelta(seconds=int(settings.TAX_STUCK_SENDING_SECONDS))
    report = {"stuck_batches": 0, "companies": 0, "polls": 0}
    report["stuck_batches"] = UploadBatch.objects.filter(status=B.SENDING, claimed_at__lt=now - stuck_age).update(
        status=B.UNKNOWN, last_error="上传中断（进程退出），将以相同号码重新上传核实", updated_at=now)
    companies = set(Invoice.objects.filter(status=S.PENDING, updated_at__lt=now - pending_age)
                    .values_list("company_id", flat=True).distinct())
    companies |= set(UploadBatch.objects.filter(status__in=[B.PREPARED, B.UNKNOWN], updated_at__lt=now - pending_age)
                     .values_list("company_id", flat=True).distinct())
    for company_id in companies:
        schedule_company_batch(company_id)
    report["companies"] = len(companies)
    for batch_id in UploadBatch.objects.filter(status=B.ACCEPTED, updated_at__lt=now - pending_age).values_list(
            "id", flat=True)[:500]:
        UploadBatch.objects.filter(pk=batch_id).update(polls=0, updated_at=now)
        schedule_poll(batch_id, delay=0)
        report["polls"] += 1
    return report


def pipeline_backlog() -> dict:
    """Counts the dashboard and the sweeper tests look at."""
    oldest = Invoice.objects.filter(status=S.PENDING).aggregate(m=Min("created_at"))["m"]
    return {
        "pending": Invoice.objects.filter(status=S.PENDING).count(),
        "uploading": Invoice.objects.filter(status=S.UPLOADING).count(),
        "oldest_pending": oldest,
    }
