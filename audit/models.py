"""The audit trail and the tax-platform exchange log: both append-only (a trigger refuses
UPDATE and DELETE; see the migration), both kept at least 5 years."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from stores.models import Company, Store
from stores.roles import HQ_ROLES, Role
from stores.scoping import scope_by_company


class HqCompanyQuerySet(models.QuerySet):
    """Rows of the companies where the user holds an HQ role (audit and reports are HQ work)."""

    def for_user(self, user):
        return scope_by_company(self, user, roles=HQ_ROLES)


AuditEventQuerySet = HqCompanyQuerySet


class AuditEvent(models.Model):
    """One state change: who, when, what object, before and after; hash-chained per company."""

    class ActorType(models.TextChoices):
        USER = "user", _("用户")
        API_KEY = "api_key", _("API 密钥")
        JOB = "job", _("后台任务")
        SYSTEM = "system", _("系统")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, null=True, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # Hash chain per company (company NULL forms its own chain): sha256 over prev_hash and the
    # canonical JSON of this row's content. verify_audit_chain recomputes it.
    seq = models.BigIntegerField()
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["company", "seq"])]
        constraints = [
            models.UniqueConstraint(fields=["company", "seq"], name="audit_seq_unique", nulls_distinct=False)
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """The last link of each company's chain; its row lock serialises appends."""

    company = models.OneToOneField(Company, on_delete=models.PROTECT, null=True, related_name="+")
    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    archived_through_seq = models.BigIntegerField(default=0)
    archived_last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"chain {self.company_id}: {self.seq}"


class ExchangeQuerySet(models.QuerySet):
    def for_user(self, user):
        """HQ roles: every call of their company; a store manager: the calls made for the store."""
        hq = scope_by_company(self, user, roles=HQ_ROLES)
        if user.is_authenticated and not user.is_superuser:
            managed = Store.objects.filter(memberships__user=user, memberships__role=Role.STORE_MANAGER)
            hq = hq | self.filter(store__in=managed.values("id"))
        return hq


class Exchange(models.Model):
    """One call to the tax platform: the decrypted business payloads, never keys or signatures."""

    class Outcome(models.TextChoices):
        OK = "ok", _("成功")
        BUSINESS_ERROR = "business_error", _("业务拒绝")
        RETRYABLE = "retryable", _("可重试")
        UNKNOWN = "unknown", _("结果未知")
        PERMANENT = "permanent", _("永久错误")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, null=True, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    provider = models.CharField(max_length=20, default="leqi")
    service = models.CharField(max_length=20, db_index=True)
    unit_id = models.CharField(max_length=40, blank=True)
    trace_id = models.CharField(max_length=40, blank=True)
    request = models.JSONField(null=True)
    response = models.JSONField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    return_code = models.CharField(max_length=20, blank=True)
    return_message = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    duration_ms = models.PositiveIntegerField(default=0)
    # Invoice numbers / form numbers / upload serials the call concerned, to find it later.
    refs = models.JSONField(default=list, blank=True)

    objects = ExchangeQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("平台交互日志")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.service} {self.outcome}"


ReportJobQuerySet = HqCompanyQuerySet


def report_file_path(instance, filename: str) -> str:
    return f"reports/{instance.company_id}/{filename}"


class ReportJob(models.Model):
    """An audit-report PDF built in the background (queue ``reports``), kept until ``expires_at``."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, default="audit_pdf")
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=report_file_path, max_length=300, blank=True)
    pages = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    objects = ReportJobQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("报告任务")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"report {self.pk} {self.status} {self.progress}%"
