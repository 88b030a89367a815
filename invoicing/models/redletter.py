"""Red-letter reversal (红冲): confirmation forms mirrored from the platform, batch reversals, the policy.

A ``RedLetterForm`` is our copy of the platform's 红字确认单 (TAX_PLATFORM.md, ten states) plus
what only we know: who asked, whether a manager approved, whether the application reached the
platform, which refund or batch it serves, and the red invoice it produced.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stores.models import Company, Store
from stores.roles import HQ_ROLES
from stores.scoping import StoreScopedQuerySet, scope_by_company

from .invoices import Invoice, InvoiceLine
from .orders import Refund


class RedLetterPolicy(models.Model):
    """Whether a clerk's reversal request needs the store manager's approval (store row wins over company row)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="red_letter_policies")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    clerk_requests_need_approval = models.BooleanField(_("开票员的红冲申请须店长审批"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("红冲审批设置")
        constraints = [
            models.UniqueConstraint(fields=["company"], condition=Q(store__isnull=True),
                                    name="red_policy_one_per_company"),
            models.UniqueConstraint(fields=["store"], condition=Q(store__isnull=False),
                                    name="red_policy_one_per_store"),
        ]

    def __str__(self) -> str:
        return f"{self.company_id}/{self.store_id or '*'}: {self.clerk_requests_need_approval}"


class RedLetterFormQuerySet(StoreScopedQuerySet):
    def not_void(self):
        """Forms that hold (or may still hold) amounts of their blue lines."""
        return self.exclude(approval=RedLetterForm.Approval.REJECTED).exclude(
            submission__in=[RedLetterForm.Submission.REFUSED, RedLetterForm.Submission.WITHDRAWN]
        ).exclude(state__in=RedLetterForm.VOID_STATES)

    def awaiting_other_side(self):
        return self.filter(state__in=RedLetterForm.AWAITING_STATES)


class RedLetterForm(models.Model):
    class State(models.TextChoices):
        NO_CONFIRMATION = "01", _("无需确认")
        AWAITING_BUYER = "02", _("销方录入待购方确认")
        AWAITING_SELLER = "03", _("购方录入待销方确认")
        CONFIRMED = "04", _("购销双方已确认")
        VOID_BUYER_DENIED = "05", _("作废（购方否认）")
        VOID_SELLER_DENIED = "06", _("作废（销方否认）")
        VOID_EXPIRED = "07", _("作废（超72小时未确认）")
        REVOKED = "08", _("作废（发起方已撤销）")
        VOID_REVOKED_AFTER_CONFIRMATION = "09", _("作废（确认后撤销）")
        VOID_ABNORMAL = "10", _("作废（异常凭证）")
    class Reason(models.TextChoices):
        WRONG_INVOICE = "01", _("开票有误")
        SALES_RETURN = "02", _("销货退回")
        SERVICE_STOPPED = "03", _("服务中止")
        SALES_ALLOWANCE = "04", _("销售折让")
    class InitiatedBy(models.TextChoices):
        SELLER = "seller", _("销方（本公司）")
        BUYER = "buyer", _("购方")
    class Approval(models.TextChoices):
        NOT_REQUIRED = "not_required", _("无需审批")
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已审批")
        REJECTED = "rejected", _("已驳回")
    class Submission(models.TextChoices):
        WAITING = "waiting", _("待提交平台")
        SENDING = "sending", _("提交中")
        UNKNOWN = "unknown", _("提交结果未知，待核实")
        APPLIED = "applied", _("已提交平台")
        REFUSED = "refused", _("平台拒绝")
        WITHDRAWN = "withdrawn", _("已撤回")
    VOID_STATES = ("05", "06", "07", "08", "09", "10")
    AWAITING_STATES = ("02", "03")
    ISSUABLE_STATES = ("01", "04")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="red_letter_forms")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="red_letter_forms")
    blue_invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="red_letter_forms",
                                     verbose_name=_("蓝字发票"))
    uuid = models.CharField(_("平台UUID"), max_length=64, blank=True)
    number = models.CharField(_("红字确认单编号"), max_length=40, blank=True)
    state = models.CharField(_("确认单状态"), max_length=2, choices=State.choices, blank=True)
    reason = models.CharField(_("红冲原因"), max_length=2, choices=Reason.choices)
    initiated_by = models.CharField(_("录入方"), max_length=6, choices=InitiatedBy.choices, default=InitiatedBy.SELLER)
    is_full = models.BooleanField(_("全额红冲"), default=False)
    # Negative, like the red invoice they lead to.
    amount = models.DecimalField(_("红冲金额"), max_digits=18, decimal_places=2)
    tax = models.DecimalField(_("红冲税额"), max_digits=18, decimal_places=2)
    approval = models.CharField(_("审批"), max_length=12, choices=Approval.choices, default=Approval.NOT_REQUIRED)
    submission = models.CharField(_("提交平台"), max_length=10, choices=Submission.choices, default=Submission.WAITING)
    applied_at = models.DateTimeField(_("录入时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("确认截止时间"), null=True, blank=True)
    last_refreshed_at = models.DateTimeField(_("最近同步时间"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("作废提醒发送时间"), null=True, blank=True)
    red_invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="red_letter_form", verbose_name=_("红字发票"))
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="red_letter_forms", verbose_name=_("退款"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("申请人"))
    requested_by_label = models.CharField(max_length=150, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("审批人"))
    approved_at = models.DateTimeField(null=True, blank=True)
    # The form submission that made it (invoicing.concurrency): one per key and company.
    submission_key = models.CharField(max_length=40, null=True, blank=True, editable=False)  # noqa: DJ001 - NULL (no key) is never unique
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RedLetterFormQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("红字确认单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "uuid"], condition=~Q(uuid=""), name="red_form_uuid_unique"),
            models.UniqueConstraint(fields=["company", "submission_key"], condition=Q(submission_key__isnull=False),
                                    name="red_form_submission_once"),
        ]
        indexes = [
            models.Index(fields=["company", "state"]),
            models.Index(fields=["store", "created_at"]),
            models.Index(fields=["submission", "updated_at"]),
        ]

    def __str__(self) -> str:
        return self.number or f"红冲申请#{self.pk}"

    @property
    def is_void(self) -> bool:
        return (self.approval == self.Approval.REJECTED
                or self.submission in (self.Submission.REFUSED, self.Submission.WITHDRAWN)
                or self.state in self.VOID_STATES)

    @property
    def is_awaiting_other_side(self) -> bool:
        return self.state in self.AWAITING_STATES

    @property
    def status_label(self) -> str:
        """One phrase for lists: the platform state once applied, else where the request stands."""
        if self.approval in (self.Approval.PENDING, self.Approval.REJECTED):
            return _("申请%(approval)s") % {"approval": self.get_approval_display()}
        if self.state:
            return self.get_state_display()
        return self.get_submission_display()


class RedLetterFormLine(models.Model):
    """One blue line reversed by the form: quantity and amounts negative, unit price positive (or empty)."""

    form = models.ForeignKey(RedLetterForm, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("序号"))
    blue_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="red_letter_lines")
    quantity = models.DecimalField(_("数量"), max_digits=30, decimal_places=13, null=True, blank=True)
    unit_price = models.DecimalField(_("单价"), max_digits=30, decimal_places=13, null=True, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)
    tax = models.DecimalField(_("税额"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = _("红字确认单明细")
        ordering = ["form_id", "position"]
        constraints = [models.UniqueConstraint(fields=["form", "position"], name="red_form_line_position_unique")]

    def __str__(self) -> str:
        return f"{self.form_id}:{self.position}"


class BatchReversalQuerySet(models.QuerySet):
    def for_user(self, user):
        # Batch reversal is HQ work: store roles of the same company do not see these rows.
        return scope_by_company(self, user, roles=HQ_ROLES)


class BatchReversal(models.Model):
    """HQ's reversal of many invoices with one reason; each invoice's outcome is a ``BatchReversalItem``."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="batch_reversals")
    reason = models.CharField(_("红冲原因"), max_length=2, choices=RedLetterForm.Reason.choices)
    selection = models.JSONField(_("选择条件"), default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_by_label = models.CharField(max_length=150, blank=True)
    # The form submission that made it (invoicing.concurrency): one per key and company.
    submission_key = models.CharField(max_length=40, null=True, blank=True, editable=False)  # noqa: DJ001 - NULL (no key) is never unique
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = BatchReversalQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("批量红冲")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "submission_key"], condition=Q(submission_key__isnull=False),
                                    name="batch_reversal_submission_once"),
        ]

    def __str__(self) -> str:
        return f"批量红冲#{self.pk}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.processed * 100 / self.total)


class BatchReversalItem(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("待处理")
        APPLIED = "applied", _("已申请红字确认单")
        FAILED = "failed", _("失败")
    batch = models.ForeignKey(BatchReversal, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    message = models.CharField(max_length=500, blank=True)
    form = models.ForeignKey(RedLetterForm, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("批量红冲明细")
        ordering = ["batch_id", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "invoice"], name="batch_reversal_item_unique")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.invoice_id} {self.outcome}"
