"""Invoices (blue and red), their lines and timeline, upload batches and per-store day figures."""

from decimal import Decimal

from django.db import models
from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from stores.models import Company, Store
from stores.scoping import StoreScopedQuerySet

from .orders import Order

# Invoice.failure_code → what a person reads (also the keys of StoreDayStats.failed_by_reason).
FAILURE_REASONS = {
    "validation": _("本地校验未通过"),
    "platform_refused": _("平台拒绝"),
    "batch_refused": _("批次被平台拒绝"),
    "platform_mismatch": _("平台数据不一致"),
    "taxpayer_status": _("纳税人状态异常"),
    "quota": _("授信额度不足"),
    "unpreparable": _("数据无法处理"),
    "other": _("其他"),
}

# Invoice.failure_code → what to do next; each reason has its own remedy (a quota refusal is not
# fixed by editing the buyer). Shown under the failure on the invoice page.
FAILURE_ADVICE = {
    "validation": _("请修改购买方或明细后重新提交。"),
    "platform_refused": _("请按平台提示修改购买方或明细后重新提交，原发票号码保留重用。"),
    "batch_refused": _("整批上传被平台拒绝，多为接入设置或平台原因：请联系总部管理员核对税务平台接入设置，处理后点“不修改，重新提交”。"),
    "platform_mismatch": _("切勿重复开具：请总部会计登录税务平台核对该号码的发票，核对后再决定取消或重新提交。"),
    "taxpayer_status": _("请联系主管税务机关核实纳税人状态，恢复正常后点“不修改，重新提交”。"),
    "quota": _("请联系主管税务机关申请调整授信额度，或等待额度调整（下月额度下发）后点“不修改，重新提交”；无需修改发票内容。"),
    "other": _("请按失败原因处理后重新提交；无法判断时请联系总部会计。"),
}


class UploadBatch(models.Model):
    """One QDFPSC call's worth of invoices; stored with its request *before* the call.

    prepared → sending → accepted (sllsh known) → done; a lost answer makes it ``unknown``, which
    is resolved by uploading the very same request again (the platform answers "03 uploaded
    before" for what it already has), never by giving the invoices new numbers.
    """

    class Status(models.TextChoices):
        PREPARED = "prepared", _("待上传")
        SENDING = "sending", _("上传中")
        ACCEPTED = "accepted", _("已受理，等待结果")
        UNKNOWN = "unknown", _("结果未知，待核实")
        DONE = "done", _("已完成")
        FAILED = "failed", _("平台拒绝")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="upload_batches")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARED)
    acceptance_serial = models.CharField(_("受理流水号"), max_length=64, blank=True)
    request = models.JSONField(_("上传报文"))
    invoice_count = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    polls = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("上传批次")
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"batch {self.pk} {self.status} {self.acceptance_serial}"


# How much of an issued blue invoice issued red invoices have reversed; shown instead of 已开具.
REVERSAL_LABELS = {"partly_reversed": _("部分红冲"), "reversed": _("已全额红冲")}
# Every issued invoice, reversed later or not: what the dashboard's issued figures count.
ISSUED_ANY = "issued_any"


def reversal_state_for(*, total_with_tax: Decimal, reversed_with_tax: Decimal) -> str:
    """"" (nothing reversed), "partly_reversed" or "reversed", from the positive amount reversed."""
    if reversed_with_tax <= 0:
        return ""
    return "reversed" if reversed_with_tax >= total_with_tax else "partly_reversed"


class InvoiceQuerySet(StoreScopedQuerySet):
    def with_reversal(self):
        """Annotate ``red_issued_with_tax``: the sum (≤ 0) of the issued red invoices against each row."""
        reds = (Invoice.objects.filter(blue_invoice=OuterRef("pk"), status=Invoice.Status.ISSUED).order_by()
                .values("blue_invoice").annotate(total=Sum("total_with_tax")).values("total"))
        money = DecimalField(max_digits=18, decimal_places=2)
        return self.annotate(red_issued_with_tax=Coalesce(Subquery(reds, output_field=money),
                                                          Value(Decimal("0.00")), output_field=money))

    def with_display_status(self, status: str):
        """Rows shown with ``status`` (an Invoice.Status or a REVERSAL_LABELS key); needs ``with_reversal``."""
        issued_blue = Q(status=Invoice.Status.ISSUED, kind=Invoice.Kind.BLUE)
        reversed_fully = Q(red_issued_with_tax__lt=0) & Q(total_with_tax__lte=-models.F("red_issued_with_tax"))
        if status == "reversed":
            return self.filter(issued_blue & reversed_fully)
        if status == "partly_reversed":
            return self.filter(issued_blue & Q(red_issued_with_tax__lt=0) & ~reversed_fully)
        if status == Invoice.Status.ISSUED:
            return self.filter(status=status).exclude(issued_blue & Q(red_issued_with_tax__lt=0))
        if status == ISSUED_ANY:
            return self.filter(status=Invoice.Status.ISSUED)
        return self.filter(status=status)


class Invoice(models.Model):
    class Kind(models.TextChoices):
        BLUE = "blue", _("蓝字发票")
        RED = "red", _("红字发票")
    class Type(models.TextChoices):
        SPECIAL = "01", _("增值税专用发票")
        ORDINARY = "02", _("普通发票")
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿（待人工开具）")
        PENDING = "pending", _("待开具")
        UPLOADING = "uploading", _("上传中")
        ISSUED = "issued", _("已开具")
        FAILED = "failed", _("开具失败")
        CANCELLED = "cancelled", _("已取消")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="invoices")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices")
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.BLUE)
    type = models.CharField(_("发票种类"), max_length=2, choices=Type.choices, default=Type.ORDINARY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Unique per seller: the platform hands numbers out per connecting unit.
    number = models.CharField(_("发票号码"), max_length=20, null=True, blank=True, db_index=True)  # noqa: DJ001 - NULL until assigned keeps (company, number) unique
    # Numbers this invoice held before and gave up (kept for reconciliation, never reused elsewhere).
    previous_numbers = models.JSONField(default=list, blank=True)
    blue_invoice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="red_invoices"
    )
    red_form_number = models.CharField(_("红字确认单编号"), max_length=40, blank=True)
    buyer_name = models.CharField(_("购方名称"), max_length=200, blank=True)
    buyer_tax_id = models.CharField(_("购方税号"), max_length=20, blank=True)
    buyer_is_person = models.BooleanField(_("自然人"), default=False)
    buyer_address = models.CharField(max_length=300, blank=True)
    buyer_phone = models.CharField(max_length=40, blank=True)
    buyer_bank_name = models.CharField(max_length=200, blank=True)
    buyer_bank_account = models.CharField(max_length=60, blank=True)
    buyer_email = models.CharField(max_length=254, blank=True)
    buyer_mobile = models.CharField(max_length=20, blank=True)
    seller = models.JSONField(_("销方信息"), default=dict)
    total_amount = models.DecimalField(_("合计金额"), max_digits=18, decimal_places=2)
    total_tax = models.DecimalField(_("合计税额"), max_digits=18, decimal_places=2)
    total_with_tax = models.DecimalField(_("价税合计"), max_digits=18, decimal_places=2)
    remark = models.CharField(_("备注"), max_length=450, blank=True)
    drawer = models.CharField(_("开票人"), max_length=40, blank=True)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.TextField(_("失败原因"), blank=True)
    # The issue time printed on the invoice (kprq), fixed when the number is assigned so that
    # a re-upload sends the same value; ``confirmed_at`` is when the platform confirmed it.
    issued_at = models.DateTimeField(_("开票日期"), null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    upload_batch = models.ForeignKey(
        UploadBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    order_received_at = models.DateTimeField(null=True, blank=True)
    platform_state = models.CharField(_("平台状态"), max_length=20, blank=True)
    platform_checked_at = models.DateTimeField(null=True, blank=True)
    # The clerk's form submission that made it (invoicing.concurrency): one invoice per key and store.
    submission_key = models.CharField(max_length=40, null=True, blank=True, editable=False)  # noqa: DJ001 - NULL (no key) is never unique
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("发票")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "created_at"]),
            models.Index(fields=["company", "status", "id"], name="invoice_company_status"),
            models.Index(fields=["status", "updated_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="issued") | Q(number__isnull=False), name="issued_invoice_has_number"
            ),
            models.UniqueConstraint(fields=["company", "number"], name="invoice_number_unique_per_company"),
            models.UniqueConstraint(fields=["store", "submission_key"], condition=Q(submission_key__isnull=False),
                                    name="invoice_submission_once"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.FAILED)

    @property
    def reversal_state(self) -> str:
        """"", "partly_reversed" or "reversed" for an issued blue invoice (uses ``with_reversal`` if annotated)."""
        if self.kind != self.Kind.BLUE or self.status != self.Status.ISSUED:
            return ""
        red_total = getattr(self, "red_issued_with_tax", None)
        if red_total is None:
            red_total = self.red_invoices.filter(status=self.Status.ISSUED).aggregate(
                total=Sum("total_with_tax"))["total"] or Decimal(0)
        return reversal_state_for(total_with_tax=self.total_with_tax, reversed_with_tax=-red_total)

    @property
    def status_label(self) -> str:
        """The status as people read it: 部分红冲 / 已全额红冲 instead of 已开具 once reds are issued."""
        state = self.reversal_state
        return str(REVERSAL_LABELS[state]) if state else self.get_status_display()


class InvoiceLine(models.Model):
    class LineKind(models.TextChoices):
        NORMAL = "00", _("正常行")
        DISCOUNT = "01", _("折扣行")
        DISCOUNTED = "02", _("被折扣行")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField(_("序号"))
    name = models.CharField(_("项目名称"), max_length=100)
    tax_code = models.CharField(_("税收分类编码"), max_length=19)
    spec = models.CharField(_("规格型号"), max_length=40, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    quantity = models.DecimalField(_("数量"), max_digits=30, decimal_places=13, null=True, blank=True)
    unit_price = models.DecimalField(_("单价"), max_digits=30, decimal_places=13, null=True, blank=True)
    amount = models.DecimalField(_("金额"), max_digits=18, decimal_places=2)
    # NULL only while an order line waits for a person to choose its tax code and the rate is
    # not known yet; ``amount`` then holds the line total with tax (invoicing.taxcodes.coding).
    rate = models.DecimalField(_("税率"), max_digits=5, decimal_places=3, null=True, blank=True)
    tax = models.DecimalField(_("税额"), max_digits=18, decimal_places=2, null=True, blank=True)
    line_kind = models.CharField(max_length=2, choices=LineKind.choices, default=LineKind.NORMAL)
    preferential = models.CharField(_("优惠政策标识"), max_length=2, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("发票明细")
        ordering = ["invoice_id", "line_no"]
        constraints = [models.UniqueConstraint(fields=["invoice", "line_no"], name="invoice_line_no_unique")]

    def __str__(self) -> str:
        return f"{self.line_no} {self.name}"


class InvoiceEvent(models.Model):
    """One step on an invoice's timeline (the audit trail holds the full before/after)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(db_index=True)
    status_from = models.CharField(max_length=10, blank=True)
    status_to = models.CharField(max_length=10)
    message = models.CharField(max_length=500, blank=True)
    actor_label = models.CharField(max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = _("发票时间线")
        ordering = ["invoice_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.status_from}→{self.status_to}"


class StoreDayStats(models.Model):
    """Per store and day (Asia/Shanghai): what the dashboard reads, kept current by upserts."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="day_stats")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    orders_received = models.PositiveIntegerField(default=0)
    issued_count = models.PositiveIntegerField(default=0)
    issued_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    failed_count = models.PositiveIntegerField(default=0)
    failed_by_reason = models.JSONField(default=dict)
    # Latency from order received to platform confirmation: counts per bucket upper bound (ms,
    # see invoicing.dashboard.stats.LATENCY_BUCKETS_MS) plus the sum for the mean.
    latency_buckets = models.JSONField(default=dict)
    latency_sum_ms = models.BigIntegerField(default=0)
    latency_count = models.PositiveIntegerField(default=0)
    delivered_count = models.PositiveIntegerField(default=0)
    red_issued_count = models.PositiveIntegerField(default=0)
    red_issued_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("门店日统计")
        constraints = [models.UniqueConstraint(fields=["store", "day"], name="store_day_stats_unique")]
        indexes = [models.Index(fields=["company", "day"])]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day}"
