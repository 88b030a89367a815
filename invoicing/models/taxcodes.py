"""Tax classification codes as the platform currently defines them, and per-company memory."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaxCode(models.Model):
    """One 税收分类编码: seeded from the official table, kept current from the platform (CXSSFLBM)."""

    code = models.CharField(_("税收分类编码"), max_length=19, primary_key=True)
    name = models.CharField(_("货物和劳务名称"), max_length=200)
    short_name = models.CharField(_("简称"), max_length=100, blank=True)
    description = models.TextField(_("说明"), blank=True)
    is_summary = models.BooleanField(_("汇总项"), default=False, help_text=_("汇总项不能用于开票"))
    # Rates as strings ("0.13") so that JSON never turns them into floats.
    rates = models.JSONField(_("可用税率"), default=list, blank=True)
    preferential = models.JSONField(_("可用优惠政策标识"), default=list, blank=True)
    valid_from = models.DateField(_("有效期起"), null=True, blank=True)
    valid_to = models.DateField(_("有效期止"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("税收分类编码")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def rate_decimals(self) -> tuple[Decimal, ...]:
        return tuple(Decimal(rate) for rate in self.rates)


class TaxCodeMatchMemoryQuerySet(models.QuerySet):
    def for_company(self, company):
        return self.filter(company=company)


class TaxCodeMatchMemory(models.Model):
    """A company's accepted or corrected code for a product name: it wins over the matcher next time."""

    company = models.ForeignKey("stores.Company", on_delete=models.CASCADE, related_name="tax_code_memories")
    normalized_name = models.CharField(_("归一化商品名称"), max_length=200)
    product_name = models.CharField(_("最近一次的商品名称"), max_length=300, blank=True)
    code = models.ForeignKey(TaxCode, on_delete=models.PROTECT, related_name="+", verbose_name=_("税收分类编码"))
    rate = models.DecimalField(
        _("税率"), max_digits=5, decimal_places=3, null=True, blank=True,
        help_text=_("本公司对该商品使用的税率；订单未填税率时据此自动赋码"),
    )
    hits = models.PositiveIntegerField(_("采用次数"), default=1)
    last_used = models.DateTimeField(_("最近采用"))

    objects = TaxCodeMatchMemoryQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("赋码记忆")
        constraints = [
            models.UniqueConstraint(fields=["company", "normalized_name"], name="taxcode_memory_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.normalized_name} → {self.code_id}"
