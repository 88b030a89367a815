"""What the home page counts, always from ``for_user``: a clerk sees their store, HQ their company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing.issuing.selectors import awaiting_code
from invoicing.models import Invoice, RedLetterForm

EXPIRING_WITHIN = timedelta(hours=72)


@dataclass(frozen=True)
class Today:
    issued: int
    issued_with_tax: Decimal
    red: int
    red_with_tax: Decimal
    in_progress: int


@dataclass(frozen=True)
class Todo:
    key: str
    label: str
    count: int
    url: str
    hint: str = ""


def home_today(*, user, now: datetime | None = None) -> Today:
    """Invoices issued since midnight (Asia/Shanghai), blue and red apart, and those still on their way."""
    now = now or timezone.now()
    midnight = datetime.combine(timezone.localtime(now).date(), time.min, tzinfo=timezone.get_current_timezone())
    invoices = Invoice.objects.for_user(user)
    issued = invoices.filter(status=Invoice.Status.ISSUED, issued_at__gte=midnight).aggregate(
        blue=Count("id", filter=Q(kind=Invoice.Kind.BLUE)),
        blue_total=Sum("total_with_tax", filter=Q(kind=Invoice.Kind.BLUE)),
        red=Count("id", filter=Q(kind=Invoice.Kind.RED)),
        red_total=Sum("total_with_tax", filter=Q(kind=Invoice.Kind.RED)))
    in_progress = invoices.filter(status__in=(Invoice.Status.PENDING, Invoice.Status.UPLOADING)).count()
    return Today(issued=issued["blue"], issued_with_tax=issued["blue_total"] or Decimal("0.00"),
                 red=issued["red"], red_with_tax=issued["red_total"] or Decimal("0.00"), in_progress=in_progress)


def home_todo(*, user, access, now: datetime | None = None) -> list[Todo]:
    """The to-do list of this user's roles: each entry a count and the list that shows those rows."""
    now = now or timezone.now()
    invoices = Invoice.objects.for_user(user)
    forms = RedLetterForm.objects.for_user(user)
    invoice_list, form_list = reverse("invoicing:invoice_list"), reverse("invoicing:red_form_list")
    todo = []
    if access.can("invoice.issue"):
        todo.append(Todo("drafts", _("草稿待开具"), invoices.filter(status=Invoice.Status.DRAFT).count(),
                         f"{invoice_list}?status={Invoice.Status.DRAFT}", _("手工开票或接口订单尚未提交")))
        todo.append(Todo("awaiting_code", _("明细待赋码"), awaiting_code(invoices).count(),
                         f"{invoice_list}?coding=awaiting", _("有明细还没有税收分类编码，赋码后才能开具")))
    if access.can("invoice.view"):
        todo.append(Todo("failed", _("开具失败"), invoices.filter(status=Invoice.Status.FAILED).count(),
                         f"{invoice_list}?status={Invoice.Status.FAILED}", _("按失败原因修改后重新提交，或取消")))
    if access.can("invoice.reverse_approve"):
        todo.append(Todo("approve", _("红冲申请待审批"), forms.filter(approval=RedLetterForm.Approval.PENDING).count(),
                         f"{form_list}?approval={RedLetterForm.Approval.PENDING}", _("店员提交的红冲申请，批准后才提交税务平台")))
        todo.append(Todo("confirm", _("购方红字确认单待确认"),
                         forms.filter(state=RedLetterForm.State.AWAITING_SELLER).count(),
                         f"{form_list}?state={RedLetterForm.State.AWAITING_SELLER}", _("购方录入的确认单，请确认或否认")))
    if access.can("invoice.reverse_request"):
        todo.append(Todo("expiring", _("72小时内到期的确认单"),
                         forms.filter(state__in=RedLetterForm.AWAITING_STATES, expires_at__lte=now + EXPIRING_WITHIN).count(),
                         f"{form_list}?pending=on", _("到期未确认将自动作废，需重新申请")))
    return todo
