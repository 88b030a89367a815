"""Computing a month's figures from our records, comparing them with the platform's (CXFPHZQRXX)
and uploading the confirmation (SCFPHZQRXX) exactly once.

Our figures count the issued invoices whose issue date (``issued_at``, Asia/Shanghai) falls in the
month: blue and red separately, amounts and taxes with their signs (red ones are negative).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from audit.services import Actor, audit_record
from invoicing.models import Invoice, MonthlySummary, MonthlySummaryUpload
from invoicing.rules.clock import SHANGHAI
from invoicing.taxapi import get_provider
from invoicing.taxapi.base import MonthFigures, SummaryInvoice, SummaryState
from invoicing.taxapi.errors import BusinessError, TaxPlatformError, UnknownOutcomeError

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
PAGE_SIZE = 1000
STUCK_AFTER = timedelta(minutes=10)  # a "sending" row this old lost its worker: treat it as unknown
ALREADY_CONFIRMED_CODE = "17"  # the sandbox's (ours) code for a month confirmed before
FIGURE_LABELS = (
    ("blue_count", "蓝字发票数量"),
    ("blue_amount", "蓝字发票金额"),
    ("blue_tax", "蓝字发票税额"),
    ("red_count", "红字发票数量"),
    ("red_amount", "红字发票金额"),
    ("red_tax", "红字发票税额"),
)


class SummaryRefused(Exception):
    """The click cannot be carried out; ``message`` says why in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- months --------------------------------------------------------------------------------------


def month_of(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m")


def previous_month(now: datetime | None = None) -> str:
    today = (now or timezone.now()).astimezone(SHANGHAI)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=SHANGHAI)
    return start, datetime(year + number // 12, number % 12 + 1, 1, tzinfo=SHANGHAI)


def deadline(month: str) -> date:
    """The day by which ``month`` is to be confirmed: SUMMARY_CONFIRM_DEADLINE_DAY of the next month."""
    _start, end = month_bounds(month)
    return date(end.year, end.month, settings.SUMMARY_CONFIRM_DEADLINE_DAY)


def valid_month(text: str) -> bool:
    try:
        year, number = (int(part) for part in text.split("-"))
    except ValueError:
        return False
    return len(text) == 7 and 2000 <= year <= 2100 and 1 <= number <= 12


# --- our figures ---------------------------------------------------------------------------------


def _issued(company, month: str):
    start, end = month_bounds(month)
    return Invoice.objects.filter(company=company, status=Invoice.Status.ISSUED, issued_at__gte=start,
                                  issued_at__lt=end)


def our_figures(company, month: str) -> MonthFigures:
    sums = _issued(company, month).aggregate(
        blue_count=Count("pk", filter=Q(kind=Invoice.Kind.BLUE)),
        blue_amount=Sum("total_amount", filter=Q(kind=Invoice.Kind.BLUE)),
        blue_tax=Sum("total_tax", filter=Q(kind=Invoice.Kind.BLUE)),
        red_count=Count("pk", filter=Q(kind=Invoice.Kind.RED)),
        red_amount=Sum("total_amount", filter=Q(kind=Invoice.Kind.RED)),
        red_tax=Sum("total_tax", filter=Q(kind=Invoice.Kind.RED)),
    )
    return MonthFigures(**{name: value if value is not None else ZERO for name, value in sums.items()})


def summary_figures(summary: MonthlySummary) -> MonthFigures:
    return MonthFigures(**{name: getattr(summary, name) for name, _label in FIGURE_LABELS})


@transaction.atomic
def summary_compute(*, company, month: str) -> MonthlySummary:
    """Store (or refresh) our figures of ``month``; a confirmed month is never changed."""
    figures = our_figures(company, month)
    summary = MonthlySummary.objects.select_for_update().filter(company=company, month=month).first()
    if summary is not None and summary.confirmed_at is not None:
        return summary
    if summary is None:
        try:
            with transaction.atomic():
                return MonthlySummary.objects.create(company=company, month=month, computed_at=timezone.now(),
                                                     **figures.__dict__)
        except IntegrityError:
            # Another worker stored it a moment ago: refresh that row instead.
            summary = MonthlySummary.objects.select_for_update().get(company=company, month=month)
    for name, value in figures.__dict__.items():
        setattr(summary, name, value)
    summary.computed_at = timezone.now()
    summary.save()
    return summary


# --- against the platform ------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureRow:
    label: str
    ours: Decimal | int
    theirs: Decimal | int

    @property
    def differs(self) -> bool:
        return self.ours != self.theirs


@dataclass(frozen=True)
class InvoiceDifference:
    number: str
    is_red: bool
    ours: Invoice | None
    theirs: SummaryInvoice | None

    @property
    def kind(self) -> str:
        if self.theirs is None:
            return "missing_there"
        if self.ours is None:
            return "missing_here"
        return "amounts_differ"


@dataclass(frozen=True)
class Comparison:
    state: SummaryState
    state_at: datetime | None
    rows: tuple[FigureRow, ...]
    differences: tuple[InvoiceDifference, ...]

    @property
    def matches(self) -> bool:
        return not self.differences and not any(row.differs for row in self.rows)


def compare(summary: MonthlySummary) -> Comparison:
    """Ask the platform for the month (every page) and set it against our figures and invoices."""
    provider = get_provider(summary.company)
    page_no, theirs = 1, {}
    while True:
        page = provider.month_summary(month=summary.month, page_no=page_no, page_size=PAGE_SIZE)
        theirs.update({item.number: item for item in page.invoices})
        if not page.has_more or not page.invoices:
            break
        page_no += 1
    ours = {invoice.number: invoice for invoice in _issued(summary.company, summary.month).order_by("issued_at")}
    differences = []
    for number, invoice in ours.items():
        other = theirs.get(number)
        if other is None or other.amount != invoice.total_amount or other.tax != invoice.total_tax:
            differences.append(InvoiceDifference(number, invoice.kind == Invoice.Kind.RED, invoice, other))
    differences += [InvoiceDifference(number, item.is_red, None, item)
                    for number, item in theirs.items() if number not in ours]
    rows = tuple(FigureRow(label, getattr(summary, name), getattr(page.figures, name)) for name, label in FIGURE_LABELS)
    return Comparison(state=page.state, state_at=page.state_at, rows=rows, differences=tuple(differences))


# --- the confirmation, exactly once ----------------------------------------------------------------


def _claim(summary: MonthlySummary, user) -> tuple[MonthlySummaryUpload, bool]:
    """The upload row for this click, set to "sending"; (row, result unknown before) or refused."""
    figures = {name: str(getattr(summary, name)) for name, _label in FIGURE_LABELS}
    try:
        with transaction.atomic():
            return MonthlySummaryUpload.objects.create(
                company=summary.company, month=summary.month, action=MonthlySummaryUpload.Action.CONFIRM,
                summary=summary, figures=figures, user=user), False
    except IntegrityError:
        pass
    upload = MonthlySummaryUpload.objects.get(company=summary.company, month=summary.month,
                                              action=MonthlySummaryUpload.Action.CONFIRM)
    if upload.status == MonthlySummaryUpload.Status.DONE:
        raise SummaryRefused(f"{summary.month}已确认上传，无需重复提交")
    previous = upload.status
    now = timezone.now()
    retry = Q(status__in=(MonthlySummaryUpload.Status.REFUSED, MonthlySummaryUpload.Status.UNKNOWN)) | Q(
        status=MonthlySummaryUpload.Status.SENDING, attempted_at__lt=now - STUCK_AFTER)
    claimed = MonthlySummaryUpload.objects.filter(retry, pk=upload.pk).update(
        status=MonthlySummaryUpload.Status.SENDING, figures=figures, user=user, message="", attempted_at=now,
        finished_at=None)
    if not claimed:
        raise SummaryRefused(f"{summary.month}的汇总确认正在上传，请勿重复点击")
    upload.refresh_from_db()
    return upload, previous != MonthlySummaryUpload.Status.REFUSED


def _finish(upload: MonthlySummaryUpload, summary: MonthlySummary, *, status: str, message: str, user) -> None:
    with transaction.atomic():
        upload.status, upload.message, upload.finished_at = status, message[:500], timezone.now()
        upload.save(update_fields=["status", "message", "finished_at"])
        done = status == MonthlySummaryUpload.Status.DONE
        if done:
            summary.confirmed_at = upload.finished_at
            summary.save(update_fields=["confirmed_at"])
        audit_record(actor=Actor.for_user(user), action="summary.confirm" if done else "summary.confirm_failed",
                     obj=summary, company=summary.company, object_repr=f"{summary.month} 汇总确认",
                     after={"month": summary.month, **upload.figures, "status": status, "message": message})


def _platform_confirmed(provider, month: str) -> bool:
    return provider.month_summary(month=month, page_size=1).state == SummaryState.CONFIRMED


def _platform_confirmed_or_not_known(provider, month: str) -> bool:
    """After a "confirmed before" refusal: True when the platform's query says confirmed; a failed
    query leaves the refusal standing (the next click asks again)."""
    try:
        return _platform_confirmed(provider, month)
    except TaxPlatformError:
        logger.warning("summary state query failed after an 'already confirmed' refusal, month=%s", month)
        return False


def summary_confirm(*, summary: MonthlySummary, user) -> MonthlySummaryUpload:
    """Upload ``summary``'s figures as the confirmation of its month (SCFPHZQRXX), audited.

    One row per company, month and action guards it: a second click while the first is on its way,
    or after it succeeded, is refused; after a refusal it may be sent again, and after an unknown
    outcome the platform is asked first.
    """
    if summary.confirmed_at is not None:
        raise SummaryRefused(f"{summary.month}已确认上传，无需重复提交")
    _start, end = month_bounds(summary.month)
    if timezone.now() < end:
        raise SummaryRefused(f"{summary.month}尚未结束，月份结束后才能确认上传")
    upload, unknown_before = _claim(summary, user)
    try:
        provider = get_provider(summary.company)
        if unknown_before and _platform_confirmed(provider, summary.month):
            _finish(upload, summary, status=MonthlySummaryUpload.Status.DONE, message="平台已确认", user=user)
            return upload
        receipt = provider.month_summary_confirm(month=summary.month, figures=summary_figures(summary))
    except UnknownOutcomeError as exc:
        _finish(upload, summary, status=MonthlySummaryUpload.Status.UNKNOWN, message=exc.message, user=user)
        raise SummaryRefused(f"上传结果未知（{exc.message}），请稍后再点“确认上传”，系统会先向平台查询") from exc
    except BusinessError as exc:
        if exc.code == ALREADY_CONFIRMED_CODE and _platform_confirmed_or_not_known(provider, summary.month):
            _finish(upload, summary, status=MonthlySummaryUpload.Status.DONE, message=exc.message, user=user)
            return upload
        _finish(upload, summary, status=MonthlySummaryUpload.Status.REFUSED, message=exc.message, user=user)
        raise SummaryRefused(f"平台拒绝了汇总确认：{exc.message}") from exc
    except TaxPlatformError as exc:
        _finish(upload, summary, status=MonthlySummaryUpload.Status.REFUSED, message=exc.message, user=user)
        raise SummaryRefused(f"未能上传汇总确认：{exc.message}") from exc
    logger.info("summary confirmed company=%s month=%s state=%s", summary.company_id, summary.month, receipt.state)
    _finish(upload, summary, status=MonthlySummaryUpload.Status.DONE, message="确认成功", user=user)
    return upload
