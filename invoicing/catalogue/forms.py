"""Forms of the catalogue screens."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from invoicing.models import Product
from invoicing.rules.invoice import RATE_CHOICES


class ProductForm(forms.ModelForm):
    rate = forms.ChoiceField(label=_("税率"), choices=RATE_CHOICES, initial="0.13")

    class Meta:
        model = Product
        fields = ["name", "sku", "tax_code", "rate", "price", "price_includes_tax", "unit", "spec", "active"]
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "off"}),
                   "tax_code": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})}
        error_messages = {
            "name": {"required": _("请填写商品名称")},
            "tax_code": {"required": _("请填写税收分类编码，可从下方建议中选择")},
            "price": {"required": _("请填写单价"), "invalid": _("单价应为数字，如 12.5"), "min_value": _("单价不能为负数")},
        }

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        if self.instance.pk and self.instance.rate is not None:
            self.initial["rate"] = str(self.instance.rate.normalize())

    def clean_rate(self):
        return Decimal(self.cleaned_data["rate"])

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        company = self.company or getattr(self.instance, "company", None)
        if sku and company is not None:
            clash = Product.objects.filter(company=company, sku=sku).exclude(pk=self.instance.pk)
            if clash.exists():
                raise forms.ValidationError(_("商品编码 %(sku)s 已被本公司其他商品使用，请换一个") % {"sku": sku})
        return sku


class ProductSearchForm(forms.Form):
    q = forms.CharField(label=_("名称或编码"), required=False, max_length=100)
    active = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), ("1", _("在售")), ("0", _("停售"))])
