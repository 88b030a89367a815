"""Invoice numbers and quota handed out by the tax platform, tracked locally.

Both are fetched *before* they are needed, with the request serial (ywlsh) stored before the
call, so that a retry after a lost answer asks for the very same block or download again.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from stores.models import Company


class NumberBlock(models.Model):
    """A contiguous block of 20-digit invoice numbers (QDFPPLFM), used in order, never across a year."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("已申请（等待平台应答）")
        ACTIVE = "active", _("可用")
        EXHAUSTED = "exhausted", _("已用完")
        ABANDONED = "abandoned", _("已放弃")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="number_blocks")
    request_serial = models.CharField(_("业务流水号"), max_length=100, unique=True)
    count = models.PositiveIntegerField(_("申请数量"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    first_number = models.CharField(_("起始号码"), max_length=20, blank=True)
    last_number = models.CharField(_("终止号码"), max_length=20, blank=True)
    # How many numbers of the block have been given to invoices; the next one is first + used.
    used = models.PositiveIntegerField(default=0)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("发票号码段")
        ordering = ["company_id", "id"]
        indexes = [models.Index(fields=["company", "status", "year"])]

    def __str__(self) -> str:
        return f"{self.first_number or self.request_serial}–{self.last_number}"

    @property
    def size(self) -> int:
        if not self.first_number:
            return 0
        return int(self.last_number) - int(self.first_number) + 1

    @property
    def remaining(self) -> int:
        return max(self.size - self.used, 0)

    def take(self, n: int) -> list[str]:
        """The next ``n`` numbers (caller holds the row lock and saves)."""
        start = int(self.first_number) + self.used
        n = min(n, self.remaining)
        self.used += n
        if self.remaining == 0:
            self.status = self.Status.EXHAUSTED
        return [str(start + i).zfill(20) for i in range(n)]


class PlatformState(models.Model):
    """Per company: the quota downloaded to us and not yet used, and the pending download serial.

    Its row lock also serialises number-block refills and quota downloads of one company.
    """

    company = models.OneToOneField(Company, on_delete=models.PROTECT, related_name="platform_state")
    quota_available = models.DecimalField(_("本地可用额度"), max_digits=18, decimal_places=2, default=0)
    quota_request_serial = models.CharField(max_length=100, blank=True)
    quota_request_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    quota_exhausted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("平台额度状态")

    def __str__(self) -> str:
        return f"{self.company_id}: {self.quota_available}"
