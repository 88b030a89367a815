"""Keeping forms in step with the platform: states mirrored, forms the buyer entered imported.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from invoicing.issuing.platform import provider_for
from invoicing.models import (
    Invoice,
    RedLetterForm,
    RedLetterFormLine,
)
from invoicing.redletter.applications import (
    form_after_state,
    form_submission_mark,
    red_letter_form_applied,
    red_letter_form_record_state,
    red_letter_form_refresh,
    red_letter_form_submit,
)
from invoicing.redletter.common import ACTOR, CONFIRM_WINDOW, F_, REASON_CODES, STATE_CODES, SYNC_WINDOW, form_audit
from invoicing.taxapi import TaxPlatformError
from invoicing.taxapi.base import (
    RedFormEnteredBy,
    RedFormReceipt,
)
from stores.models import Company

logger = logging.getLogger(__name__)


def red_letter_forms_sync(*, company_id: int, provider=None) -> dict:
    """List the company's recent forms (CXQDHZQRDLB): new buyer forms come in, states are mirrored.

    Open forms older than the list window are asked for one by one (CXQDHZQRDMX); requests whose
    answer was lost are matched to the form the platform holds; requests never sent are sent.
    """
    close_old_connections()
    company = Company.objects.get(pk=company_id)
    provider = provider or provider_for(company)
    now = timezone.now()
    report = {"listed": 0, "changed": 0, "imported": 0, "refreshed": 0, "submitted": 0, "errors": 0}
    seen: set[str] = set()
    page_no = 1
    while True:
        page = provider.red_form_list(entered_from=now - SYNC_WINDOW, page_no=page_no, page_size=100)
        for summary in page.forms:
            seen.add(summary.uuid)
            report["listed"] += 1
            try:
                outcome = _sync_one(company, summary, provider)
            except TaxPlatformError as exc:
                report["errors"] += 1
                logger.info("red form %s of company %s: %s", summary.uuid, company_id, exc)
                continue
            if outcome:
                report[outcome] += 1
        if not page.forms or page_no * 100 >= page.total:
            break
        page_no += 1
    older = (RedLetterForm.objects.filter(company=company, submission=F_.Submission.APPLIED).exclude(uuid="")
             .exclude(uuid__in=seen)
             .filter(Q(state__in=F_.AWAITING_STATES) | Q(state__in=F_.ISSUABLE_STATES, red_invoice__isnull=True)))
    for form_id in older.values_list("id", flat=True)[:200]:
        try:
            red_letter_form_refresh(form_id=form_id, provider=provider)
            report["refreshed"] += 1
        except TaxPlatformError as exc:
            report["errors"] += 1
            logger.info("refresh of red form %s failed: %s", form_id, exc)
    stale = now - timedelta(seconds=int(settings.RED_LETTER_RESUBMIT_AFTER_S))
    # An answer lost long ago and no such form in the platform's list: the platform never took it.
    for form_id in RedLetterForm.objects.filter(company=company, submission=F_.Submission.UNKNOWN,
                                                updated_at__lt=stale).values_list("id", flat=True):
        form_submission_mark(form_id=form_id, submission=F_.Submission.WAITING,
                         note="平台未收到上次提交，重新提交")
    waiting = RedLetterForm.objects.filter(
        company=company, submission=F_.Submission.WAITING, updated_at__lt=now - timedelta(seconds=30),
        approval__in=[F_.Approval.NOT_REQUIRED, F_.Approval.APPROVED])
    for form_id in waiting.values_list("id", flat=True)[:100]:
        try:
            red_letter_form_submit(form_id=form_id, provider=provider)
            report["submitted"] += 1
        except TaxPlatformError:
            report["errors"] += 1
    cache.set(_synced_key(company_id), now.isoformat(), timeout=3600)
    return report


def _synced_key(company_id: int) -> str:
    return f"redletter:synced:{company_id}"


def red_letter_forms_sync_if_stale(*, company_id: int, max_age_s: int = 60) -> dict | None:
    """For page views: sync when the last sync is older than ``max_age_s``; never fails the page."""
    last = cache.get(_synced_key(company_id))
    if last and max_age_s > 0 and timezone.now() - datetime.fromisoformat(last) < timedelta(seconds=max_age_s):
        return None
    try:
        return red_letter_forms_sync(company_id=company_id)
    except TaxPlatformError as exc:
        logger.info("red form sync of company %s failed: %s", company_id, exc)
        return None


def _sync_one(company, summary, provider) -> str | None:
    local = RedLetterForm.objects.filter(company=company, uuid=summary.uuid).first()
    code = STATE_CODES[summary.state]
    if local is not None:
        if local.state != code or (code in F_.ISSUABLE_STATES and local.red_invoice_id is None):
            red_letter_form_record_state(form_id=local.pk, state=code)
            return "changed"
        RedLetterForm.objects.filter(pk=local.pk).update(last_refreshed_at=timezone.now())
        return None
    if summary.entered_by == RedFormEnteredBy.BUYER:
        detail = provider.red_form_detail(uuid=summary.uuid)
        return "imported" if red_letter_form_import(company=company, detail=detail) else None
    # One of ours whose answer was lost: same blue invoice and amounts, no uuid yet.
    lost = (RedLetterForm.objects.filter(company=company, uuid="", submission=F_.Submission.UNKNOWN,
                                         blue_invoice__number=summary.blue_invoice_number, amount=summary.amount,
                                         tax=summary.tax).order_by("id").first())
    if lost is not None:
        red_letter_form_applied(form_id=lost.pk, receipt=RedFormReceipt(
            uuid=summary.uuid, form_number=summary.form_number, state=summary.state, expires_at=summary.expires_at))
        return "changed"
    return None


@transaction.atomic
def red_letter_form_import(*, company, detail) -> RedLetterForm | None:
    """A form the buyer entered against one of our blue invoices (it waits for us: 03)."""
    blue = (Invoice.objects.select_for_update(of=("self",)).select_related("store")
            .filter(company=company, number=detail.blue_invoice_number, kind=Invoice.Kind.BLUE).first())
    if blue is None:
        logger.warning("buyer red form %s names blue invoice %s unknown to company %s",
                       detail.uuid, detail.blue_invoice_number, company.pk)
        return None
    if RedLetterForm.objects.filter(company=company, uuid=detail.uuid).exists():
        return None
    blue_lines = {line.line_no: line for line in blue.lines.all()}
    now = timezone.now()
    form = RedLetterForm.objects.create(
        company=company, store=blue.store, blue_invoice=blue, uuid=detail.uuid, number=detail.form_number,
        state=STATE_CODES[detail.state], reason=REASON_CODES.get(detail.reason, "01"),
        initiated_by=F_.InitiatedBy.BUYER, amount=detail.amount or Decimal("0.00"), tax=detail.tax or Decimal("0.00"),
        approval=F_.Approval.NOT_REQUIRED, submission=F_.Submission.APPLIED,
        applied_at=detail.entered_at or now, expires_at=detail.expires_at or now + CONFIRM_WINDOW,
        last_refreshed_at=now, requested_by_label="购方", note="购方录入的红字确认单：请在72小时内确认或否认",
    )
    RedLetterFormLine.objects.bulk_create([
        RedLetterFormLine(form=form, position=position, blue_line=blue_lines[line.blue_line_no],
                          quantity=line.quantity, unit_price=line.unit_price, amount=line.amount, tax=line.tax)
        for position, line in enumerate(detail.lines, start=1) if line.blue_line_no in blue_lines
    ])
    form_audit(form, actor=ACTOR, action="red_form.import", before=None)
    form_after_state(form, actor=ACTOR)
    return form
