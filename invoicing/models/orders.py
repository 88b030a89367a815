"""Paid orders and refunds pushed by shop/POS systems, their API keys and webhooks."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stores.models import Company, Store
from stores.scoping import StoreScopedQuerySet


class ApiKey(models.Model):
    """A store's key for the integration API. The secret is shown once and kept encrypted (see docs/api.md)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("门店"))
    label = models.CharField(_("名称"), max_length=100)
    key_id = models.CharField("Key ID", max_length=40, unique=True)
    # AES-256-GCM under CREDENTIALS_KEY, bound to key_id: HMAC needs the server to hold the key
    # itself, so a hash would only be a second copy of the key (see docs/api.md, "Keys").
    secret_encrypted = models.BinaryField(editable=False)
    secret_hint = models.CharField(_("密钥末四位"), max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The settings form submission that made it (invoicing.concurrency): one key per submission.
    submission_key = models.CharField(max_length=40, null=True, blank=True, editable=False)  # noqa: DJ001 - NULL (no key) is never unique

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("API 密钥")
        ordering = ["store_id", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["store", "submission_key"], condition=Q(submission_key__isnull=False),
                                    name="api_key_submission_once"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.key_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookEndpoint(models.Model):
    """Where a store's invoice status changes are pushed (signed, retried)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="webhooks", verbose_name=_("门店"))
    url = models.URLField(_("推送地址"), max_length=500)
    secret_encrypted = models.BinaryField(editable=False)
    active = models.BooleanField(_("启用"), default=True)
    # The settings form submission that made it (invoicing.concurrency): one endpoint per submission.
    submission_key = models.CharField(max_length=40, null=True, blank=True, editable=False)  # noqa: DJ001 - NULL (no key) is never unique
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "Webhook"
        constraints = [
            models.UniqueConstraint(fields=["store", "submission_key"], condition=Q(submission_key__isnull=False),
                                    name="webhook_submission_once"),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("发送失败")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("Webhook 推送")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"


class Order(models.Model):
    """A paid order (已付款订单); ``order_no`` is the idempotency key, unique per company."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("已接收")
        INVOICING = "invoicing", _("开票中")
        AWAITING_REVIEW = "awaiting_review", _("待人工开票")
        INVOICED = "invoiced", _("已开票")
        INVOICE_FAILED = "invoice_failed", _("开票失败")
        REFUNDED = "refunded", _("已全额退款")
        PARTLY_REFUNDED = "partly_refunded", _("部分退款")
    class Source(models.TextChoices):
        API = "api", _("接口")
        WEB = "web", _("门店网页")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="orders")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    order_no = models.CharField(_("订单号"), max_length=64)
    payload_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    invoice_type = models.CharField(_("发票种类"), max_length=2, default="02")
    buyer_name = models.CharField(_("购方名称"), max_length=200, blank=True)
    buyer_tax_id = models.CharField(_("购方税号"), max_length=20, blank=True)
    buyer_is_person = models.BooleanField(_("自然人"), default=False)
    buyer_address = models.CharField(max_length=300, blank=True)
    buyer_phone = models.CharField(max_length=40, blank=True)
    buyer_bank_name = models.CharField(max_length=200, blank=True)
    buyer_bank_account = models.CharField(max_length=60, blank=True)
    buyer_email = models.CharField(max_length=254, blank=True)
    buyer_mobile = models.CharField(max_length=20, blank=True)
    remark = models.CharField(max_length=450, blank=True)
    # Normalised lines as accepted (Decimals as strings), the invoice lines are built from them.
    lines = models.JSONField()
    total_amount = models.DecimalField(max_digits=18, decimal_places=2)
    total_tax = models.DecimalField(max_digits=18, decimal_places=2)
    total_with_tax = models.DecimalField(_("价税合计"), max_digits=18, decimal_places=2)
    paid_at = models.DateTimeField(_("付款时间"))
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("订单")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["company", "order_no"], name="order_no_unique_per_company")]
        indexes = [models.Index(fields=["store", "received_at"])]

    def __str__(self) -> str:
        return self.order_no


class Refund(models.Model):
    """A refund against an order. Before invoicing it shrinks/cancels the pending invoice; after,
    it waits for a red-letter invoice (``status = awaiting_red_letter``)."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("已在未开发票中扣减")
        AWAITING_RED_LETTER = "awaiting_red_letter", _("待红冲")
        REVERSED = "reversed", _("已红冲")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="refunds")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    refund_id = models.CharField(_("退款单号"), max_length=64)
    payload_hash = models.CharField(max_length=64)
    # [{"line_no": 1, "quantity": "1", "amount": "10.00"}] — amounts with tax, positive.
    lines = models.JSONField(default=list)
    amount = models.DecimalField(_("退款金额（含税）"), max_digits=18, decimal_places=2)
    is_full = models.BooleanField(_("全额退款"), default=False)
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices)
    refunded_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    red_invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("退款")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["company", "refund_id"], name="refund_id_unique_per_company")]

    def __str__(self) -> str:
        return self.refund_id
