"""An invoice's files and their delivery: stored PDF/XML, delivery status, each attempt, store defaults."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Registers the start-up CJK font check (imported with the models so that every process,
# web or worker, runs it).
from stores.models import Store
from stores.scoping import scope_by_store

from .invoices import Invoice


def invoice_file_path(instance, filename: str) -> str:
    issued = instance.invoice.issued_at or timezone.now()
    return f"invoices/{instance.invoice.company_id}/{issued:%Y/%m}/{filename}"


class InvoiceFile(models.Model):
    """A rendered file of an issued invoice. Kept as long as the invoice (≥ 5 years, never deleted)."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        XML = "xml", "XML"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=3, choices=Kind.choices)
    file = models.FileField(upload_to=invoice_file_path, max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("发票文件")
        constraints = [models.UniqueConstraint(fields=["invoice", "kind"], name="invoice_file_kind_unique")]

    def __str__(self) -> str:
        return f"{self.invoice} {self.kind}"


class InvoiceDelivery(models.Model):
    """Delivery state of one invoice (已交付 once a channel succeeded): channel and time of the last success."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, primary_key=True, related_name="delivery")
    delivered_at = models.DateTimeField(_("交付时间"), null=True, blank=True)
    delivery_channel = models.CharField(_("交付渠道"), max_length=10, blank=True)
    first_delivered_at = models.DateTimeField(null=True, blank=True)
    # Set once the automatic delivery after issue was planned, so a re-run job plans it once.
    auto_requested_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("发票交付状态")

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.delivery_channel or '未交付'}"

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None


class DeliveryAttemptQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_by_store(self, user, store_field="invoice__store")


class DeliveryAttempt(models.Model):
    """One try to send an invoice through one channel (a retried send gives several rows)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        SMS = "sms", _("短信")
    class Status(models.TextChoices):
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
    class Trigger(models.TextChoices):
        AUTO = "auto", _("开具后自动发送")
        MANUAL = "manual", _("手工发送")
        RESEND = "resend", _("重发")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="delivery_attempts")
    # One send request (channel + target); its retries share it, so a re-run job sends once.
    request_id = models.UUIDField(db_index=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    target = models.CharField(_("接收方（已脱敏）"), max_length=254)
    status = models.CharField(_("结果"), max_length=10, choices=Status.choices)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    try_no = models.PositiveSmallIntegerField(default=1)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.AUTO)
    actor_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = DeliveryAttemptQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("交付记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.channel} {self.status}"


class StoreDeliveryDefaults(models.Model):
    """A store's delivery defaults: which channels to use, and a mailbox for buyers who left none."""

    store = models.OneToOneField(Store, on_delete=models.CASCADE, primary_key=True, related_name="delivery_defaults")
    channels = models.JSONField(_("默认渠道"), default=list, help_text='例如 ["email", "sms"]')
    fallback_email = models.EmailField(_("购方未留邮箱时发送到"), blank=True)
    fallback_mobile = models.CharField(_("购方未留手机时发送到"), max_length=20, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("门店交付设置")

    def __str__(self) -> str:
        return f"{self.store_id} {self.channels}"
