"""The company's product catalogue (商品目录): what the store form and the API look up by SKU."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from invoicing.rules.amounts import fmt_rate
from invoicing.taxcodes.table import allowed_rates, display_name, get_code
from stores.models import Company
from stores.scoping import scope_by_company


def product_code_errors(*, tax_code: str, rate: Decimal | None) -> dict[str, str]:
    """Chinese messages, keyed by field, for a tax code or rate that does not fit the code table."""
    errors: dict[str, str] = {}
    info = get_code(tax_code or "")
    if info is None:
        errors["tax_code"] = f"税收分类编码 {tax_code or '（空）'} 不在官方编码表中，请填写19位末级编码"
        return errors
    if info.is_summary:
        errors["tax_code"] = f"税收分类编码 {tax_code}（{info.name}）是汇总项，不能开票，请选择其下的末级编码"
        return errors
    rates = allowed_rates(tax_code)
    if rate is None or Decimal(rate) not in rates:
        allowed = "、".join(fmt_rate(r) for r in rates) or "无"
        shown = fmt_rate(rate) if rate is not None else "（空）"
        errors["rate"] = f"税率 {shown} 不适用于税收分类编码 {tax_code}（{info.name}），可选：{allowed}"
    return errors


class ProductQuerySet(models.QuerySet):
    def for_user(self, user):
        # The catalogue is shared by all the company's stores.
        return scope_by_company(self, user)


class Product(models.Model):
    """商品: a name with its tax classification code, rate and price, shared by the company's stores."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="products", verbose_name=_("纳税主体"))
    sku = models.CharField(_("商品编码"), max_length=64, blank=True, help_text=_("门店/电商系统里的商品编码，API 可按它引用"))
    name = models.CharField(_("商品名称"), max_length=100)
    tax_code = models.CharField(_("税收分类编码"), max_length=19)
    rate = models.DecimalField(_("税率"), max_digits=5, decimal_places=3)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    spec = models.CharField(_("规格型号"), max_length=40, blank=True)
    price = models.DecimalField(_("单价"), max_digits=18, decimal_places=6, validators=[MinValueValidator(0)])
    price_includes_tax = models.BooleanField(_("单价含税"), default=True)
    active = models.BooleanField(_("在售"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("商品")
        ordering = ["company_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "sku"], condition=~models.Q(sku=""), name="product_sku_unique_per_company"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        errors = product_code_errors(tax_code=self.tax_code, rate=self.rate)
        if errors:
            raise ValidationError(errors)

    @property
    def display_name(self) -> str:
        return display_name(self.tax_code, self.name)
