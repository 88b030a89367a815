"""The actions on an invoice's life: create (the only code that writes Invoice rows), submit,
resubmit, cancel, correct.

Each action is atomic and writes the change with its audit row and timeline step; scheduling the
batch job happens after commit. Orders (``invoicing.orders``), the clerk's form
(``form_views``) and red letters (``invoicing.redletter``) all create invoices through
``invoice_create_many``, so a new field or audit rule is one edit here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from audit.services import Actor, AuditEntry, audit_record, audit_record_many
from invoicing.concurrency import create_once
from invoicing.errors import ServiceError
from invoicing.issuing.drafts import ManualDraft
from invoicing.issuing.pipeline import REUSABLE_NUMBER_FAILURES, schedule_company_batch
from invoicing.issuing.transitions import begin, record_transitions
from invoicing.models import Invoice, InvoiceEvent, InvoiceLine, Order
from invoicing.rules.invoice import InvoiceDraft
from invoicing.taxcodes.coding import invoice_line_code_choose, remember_accepted, uncoded_lines

S = Invoice.Status

# The buyer as printed on the invoice: a snapshot, never a link to a live record.
BUYER_FIELDS = ("buyer_name", "buyer_tax_id", "buyer_is_person", "buyer_address", "buyer_phone", "buyer_bank_name",
                "buyer_bank_account", "buyer_email", "buyer_mobile")


def seller_snapshot(company) -> dict:
    return {"tax_id": company.tax_id, "name": company.name, "address": company.address, "phone": company.phone,
            "bank_name": company.bank_name, "bank_account": company.bank_account,
            "drawer_id_number": company.drawer_id_number}


def buyer_snapshot(buyer: dict) -> dict:
    """``{"name": …, "tax_id": …}`` (API and form shape) → the invoice's ``buyer_*`` fields."""
    return {"buyer_name": buyer.get("name", ""), "buyer_tax_id": buyer.get("tax_id", ""),
            "buyer_is_person": bool(buyer.get("is_person")), "buyer_address": buyer.get("address", ""),
            "buyer_phone": buyer.get("phone", ""), "buyer_bank_name": buyer.get("bank_name", ""),
            "buyer_bank_account": buyer.get("bank_account", ""), "buyer_email": buyer.get("email", ""),
            "buyer_mobile": buyer.get("mobile", "")}


@dataclass
class NewInvoice:
    """One invoice to create: its checked draft, the buyer snapshot, and where it came from."""

    store: object
    draft: InvoiceDraft
    buyer: dict  # BUYER_FIELDS → value (see buyer_snapshot)
    status: str = S.PENDING  # or DRAFT: waiting for a person
    message: str = ""  # the first timeline step
    order: Order | None = None
    blue_invoice: Invoice | None = None  # a red invoice's blue one
    red_form_number: str = ""
    seller: dict | None = None  # default: the company as it is now
    drawer: str | None = None  # default: the company's drawer
    received_at: datetime | None = None  # when the order reached us (latency figures); default now
    submission_key: str | None = None  # the form submission that made it (invoicing.concurrency)
    audit: dict = field(default_factory=dict)  # extra facts for the audit row


@transaction.atomic
def invoice_create_many(*, new: list[NewInvoice], actor: Actor, source: str) -> list[Invoice]:
    """Write invoices with their lines, audit rows and timeline; schedule the batch after commit.

    ``source`` (``api``, ``manual``, ``red_letter``, …) is recorded in each audit row.
    """
    if not new:
        return []
    now = timezone.now()
    invoices = []
    for item in new:
        company, draft = item.store.company, item.draft
        invoices.append(Invoice(
            company=company, store=item.store, order=item.order,
            kind=Invoice.Kind.RED if draft.is_red else Invoice.Kind.BLUE, type=draft.kind, status=item.status,
            blue_invoice=item.blue_invoice, red_form_number=item.red_form_number,
            seller=item.seller if item.seller is not None else seller_snapshot(company),
            total_amount=draft.total_amount, total_tax=draft.total_tax, total_with_tax=draft.total_with_tax,
            remark=draft.remark, drawer=company.drawer_name if item.drawer is None else item.drawer,
            order_received_at=item.received_at or now, submission_key=item.submission_key, **item.buyer,
        ))
    Invoice.objects.bulk_create(invoices)
    InvoiceLine.objects.bulk_create([line for invoice, item in zip(invoices, new, strict=True)
                                     for line in invoice_line_rows(invoice, item.draft)], batch_size=2000)
    audit_record_many([
        AuditEntry(actor=actor, action="invoice.create", obj=invoice, company=invoice.company, store=invoice.store,
                   after={"status": invoice.status, "kind": invoice.kind, "source": source,
                          "total_with_tax": invoice.total_with_tax, "buyer_name": invoice.buyer_name,
                          "lines": len(item.draft.lines), **item.audit})
        for invoice, item in zip(invoices, new, strict=True)
    ])
    InvoiceEvent.objects.bulk_create([
        InvoiceEvent(invoice=invoice, created_at=now, status_from="", status_to=invoice.status,
                     actor_label=actor.label[:150], message=item.message[:500])
        for invoice, item in zip(invoices, new, strict=True)
    ])
    for company_id in sorted({invoice.company_id for invoice in invoices if invoice.status == S.PENDING}):
        transaction.on_commit(lambda company_id=company_id: schedule_company_batch(company_id))
    return invoices


def invoice_line_rows(invoice: Invoice, draft: InvoiceDraft) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            invoice=invoice, line_no=position, name=line.name, tax_code=line.tax_code, spec=line.spec,
            unit=line.unit, quantity=line.quantity, unit_price=line.unit_price, amount=line.amount, rate=line.rate,
            tax=line.tax, line_kind=line.kind, preferential=line.preferential,
        )
        for position, line in enumerate(draft.lines, start=1)
    ]


def invoice_create_manual(*, store, actor: Actor, manual: ManualDraft,
                          submission_key: str | None = None) -> tuple[Invoice, bool]:
    """A clerk's invoice: stored pending with its lines, audit row and timeline step, then queued.

    ``(invoice, created)``: a submission key already used in this store (a double click, four
    simultaneous confirms) gives back the invoice it made, never a second one.
    """
    if not manual.ok:
        raise ServiceError("invoice_invalid", "发票内容未通过校验，请按提示修改")

    def create() -> Invoice:
        [invoice] = invoice_create_many(new=[NewInvoice(
            store=store, draft=manual.draft, buyer=buyer_snapshot(manual.buyer), message="门店手工开票，已提交开具",
            submission_key=submission_key,
        )], actor=actor, source="manual")
        return invoice

    return create_once(key=submission_key, create=create, constraint="invoice_submission_once",
                       find=lambda: Invoice.objects.filter(store=store, submission_key=submission_key).first())


def _locked(invoice_id: int) -> Invoice:
    return Invoice.objects.select_for_update(of=("self",)).select_related("company", "store").get(pk=invoice_id)


@transaction.atomic
def invoice_correct_and_resubmit(*, invoice: Invoice, actor: Actor, manual: ManualDraft) -> Invoice:
    """Replace a failed (or draft) invoice's buyer and lines with corrected ones, then resubmit it."""
    invoice = _locked(invoice.pk)
    if invoice.status not in (S.FAILED, S.DRAFT):
        raise ServiceError("invoice_not_editable", "只有开具失败或待人工开具的发票可以修改后提交")
    if not manual.ok:
        raise ServiceError("invoice_invalid", "发票内容未通过校验，请按提示修改")
    draft = manual.draft
    before = {"total_with_tax": invoice.total_with_tax, "buyer_name": invoice.buyer_name,
              "buyer_tax_id": invoice.buyer_tax_id, "type": invoice.type, "lines": invoice.lines.count()}
    for name, value in buyer_snapshot(manual.buyer).items():
        setattr(invoice, name, value)
    invoice.type = draft.kind
    invoice.remark = draft.remark
    invoice.total_amount, invoice.total_tax, invoice.total_with_tax = (
        draft.total_amount, draft.total_tax, draft.total_with_tax)
    invoice.save()
    invoice.lines.all().delete()
    InvoiceLine.objects.bulk_create(invoice_line_rows(invoice, draft))
    audit_record(actor=actor, action="invoice.correct", obj=invoice, company=invoice.company, store=invoice.store,
                 before=before, after={"total_with_tax": invoice.total_with_tax, "buyer_name": invoice.buyer_name,
                                       "buyer_tax_id": invoice.buyer_tax_id, "type": invoice.type,
                                       "lines": len(draft.lines)})
    if invoice.status == S.DRAFT:
        return invoice_submit(invoice=invoice, actor=actor)
    return invoice_resubmit(invoice=invoice, actor=actor)


@transaction.atomic
def invoice_cancel(*, invoice: Invoice, actor: Actor, reason: str = "") -> Invoice:
    """Cancel an invoice that was never uploaded (a 数电票 that was issued can only be reversed)."""
    invoice = _locked(invoice.pk)
    if invoice.status not in (S.DRAFT, S.PENDING, S.FAILED):
        if invoice.status == S.ISSUED:
            raise ServiceError("invoice_issued", "数电发票开具后不能作废或取消，只能开具红字发票冲销")
        if invoice.status == S.CANCELLED:
            raise ServiceError("invoice_cancelled", "这张发票已取消")
        raise ServiceError("invoice_uploading", "发票正在上传税务平台，不能取消；请等待结果")
    t = begin(invoice, reason or "已取消")
    invoice.status = S.CANCELLED
    record_transitions([t], actor=actor, action="invoice.cancel", update_fields=["status"])
    return invoice


@transaction.atomic
def invoice_submit(*, invoice: Invoice, actor: Actor, remember: bool = True) -> Invoice:
    """Send a draft (waiting for a person) to the pipeline.

    ``remember``: a person's submit remembers the codes its lines carry; the background job that
    coded deferred lines submits with False (nothing is remembered on the automatic path).
    """
    invoice = _locked(invoice.pk)
    if invoice.status != S.DRAFT:
        raise ServiceError("invoice_not_draft", "只有草稿状态的发票可以提交开具")
    uncoded = uncoded_lines(invoice)
    if uncoded:
        rows = "、".join(f"第{n}行" for n in uncoded[:10]) + ("等" if len(uncoded) > 10 else "")
        raise ServiceError("invoice_lines_uncoded",
                           f"{rows}尚未选择税收分类编码，请先为这些明细选择编码，再提交开具")
    remembered = remember_accepted(invoice) if remember else []
    message = "提交开具" if remember else "全部明细已由后台任务自动赋码，按自动开票比例自动开具"
    if remembered:
        message += "；已记住" + "、".join(f"第{n}行" for n in remembered) + "的税收分类编码，同名商品下次自动赋码"
    t = begin(invoice, message)
    invoice.status = S.PENDING
    record_transitions([t], actor=actor, action="invoice.submit", update_fields=["status"])
    transaction.on_commit(lambda: schedule_company_batch(invoice.company_id))
    return invoice


@transaction.atomic
def invoice_line_code_and_submit(*, invoice: Invoice, line_no: int, tax_code: str, actor: Actor,
                                 rate: Decimal | None = None) -> Invoice:
    """码并提交: code a waiting line and, when no line waits any more, submit the invoice in the same step.

    The same click twice (a double-click) codes and submits once: the second finds the line coded
    with this code and the invoice gone on to the pipeline, and answers with it unchanged.
    """
    try:
        invoice_line_code_choose(invoice=invoice, line_no=line_no, tax_code=tax_code, rate=rate, actor=actor)
    except ServiceError as exc:
        already = InvoiceLine.objects.filter(invoice_id=invoice.pk, line_no=line_no, tax_code=tax_code.strip())
        if exc.code == "invoice_not_draft" and tax_code.strip() and already.exists():
            return Invoice.objects.get(pk=invoice.pk)
        raise
    if uncoded_lines(invoice):
        return Invoice.objects.get(pk=invoice.pk)  # other lines still wait: the clerk codes them next
    return invoice_submit(invoice=invoice, actor=actor)


@transaction.atomic
def invoice_resubmit(*, invoice: Invoice, actor: Actor) -> Invoice:
    """Send a failed invoice (after it was fixed) back to the pipeline.

    Number reuse: a number the platform *refused* (per-invoice status 02, or a whole batch refused
    before processing) was never consumed by an issued invoice, so the invoice keeps it and uploads
    it again with the corrected content — unless the year changed (numbers never cross a year).
    A number the platform holds for *another* content (03 with a different total) is never reused:
    the invoice gives it up (kept in ``previous_numbers``) and gets a fresh one.
    """
    invoice = _locked(invoice.pk)
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
