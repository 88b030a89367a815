"""Aggregates the HQ dashboard reads besides StoreDayStats (kept current by upserts)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from stores.models import Company, Store
from stores.scoping import StoreScopedQuerySet


class CategoryDayStats(models.Model):
    """Issued invoices per store, day (Asia/Shanghai) and tax category (the code's short name).

    Feeds the share-by-category chart without reading invoice lines: maintained by
    ``invoicing.dashboard.stats.category_stats_record_issued``.
    """

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    category = models.CharField(_("税收分类简称"), max_length=40)
    issued_count = models.IntegerField(default=0)
    issued_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    objects = StoreScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("门店日分类统计")
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "category"], name="category_day_stats_unique"),
        ]
        indexes = [models.Index(fields=["company", "day"], name="category_day_company_day")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day} {self.category}"
