"""The monthly summary confirmation (汇总确认): our own figures of a month, and each upload of them.

A ``MonthlySummary`` is computed from our records (issued invoices by issue date, Asia/Shanghai) at
the start of the next month; HQ finance compares it with the platform's and confirms it. Each action
on a month (confirm) is one ``MonthlySummaryUpload`` row, unique per company, month and action,
so a double click or a retry never uploads twice.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from stores.models import Company
from stores.roles import HQ_ROLES
from stores.scoping import scope_by_company


class MonthlySummaryQuerySet(models.QuerySet):
    def for_user(self, user):
        return scope_by_company(self, user, roles=HQ_ROLES)


class MonthlySummary(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="monthly_summaries")
    month = models.CharField(_("所属月份"), max_length=7)  # yyyy-MM
    blue_count = models.PositiveIntegerField(_("蓝字发票数量"))
    blue_amount = models.DecimalField(_("蓝字发票金额"), max_digits=18, decimal_places=2)
    blue_tax = models.DecimalField(_("蓝字发票税额"), max_digits=18, decimal_places=2)
    red_count = models.PositiveIntegerField(_("红字发票数量"))
    red_amount = models.DecimalField(_("红字发票金额"), max_digits=18, decimal_places=2)
    red_tax = models.DecimalField(_("红字发票税额"), max_digits=18, decimal_places=2)
    computed_at = models.DateTimeField(_("计算时间"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    objects = MonthlySummaryQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("月度汇总")
        ordering = ["-month", "company_id"]
        constraints = [models.UniqueConstraint(fields=["company", "month"], name="monthly_summary_company_month")]

    def __str__(self) -> str:
        return f"{self.company_id} {self.month}"


class MonthlySummaryUpload(models.Model):
    class Action(models.TextChoices):
        CONFIRM = "confirm", _("确认")

    class Status(models.TextChoices):
        SENDING = "sending", _("上传中")
        DONE = "done", _("已确认")
        REFUSED = "refused", _("平台拒绝")
        UNKNOWN = "unknown", _("结果未知")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    month = models.CharField(_("所属月份"), max_length=7)
    action = models.CharField(max_length=10, choices=Action.choices)
    summary = models.ForeignKey(MonthlySummary, on_delete=models.PROTECT, related_name="uploads")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    figures = models.JSONField(_("上传数据"))
    message = models.CharField(_("平台答复"), max_length=500, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    attempted_at = models.DateTimeField(_("最近上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("汇总确认上传")
        constraints = [models.UniqueConstraint(fields=["company", "month", "action"],
                                               name="monthly_summary_upload_once")]

    def __str__(self) -> str:
        return f"{self.company_id} {self.month} {self.action} {self.status}"
