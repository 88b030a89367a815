from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import Exchange


class DateRangeMixin(forms.Form):
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("开始日期不能晚于结束日期"))
        return data


class ExchangeFilterForm(DateRangeMixin):
    service = forms.CharField(label=_("服务（名称或编码）"), required=False, max_length=20)
    outcome = forms.ChoiceField(label=_("结果"), required=False, choices=[("", _("全部")), *Exchange.Outcome.choices])
    ref = forms.CharField(label=_("发票号码/流水号"), required=False, max_length=64)


class AuditFilterForm(DateRangeMixin):
    action = forms.CharField(label=_("动作"), required=False, max_length=60)
    actor = forms.CharField(label=_("操作人"), required=False, max_length=150)
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
