from django import forms
from django.utils.translation import gettext_lazy as _

from audit.forms import DateRangeMixin
from audit.labels import action_label
from audit.models import AuditEvent
from stores.models import Store


class ReportForm(DateRangeMixin):
    """Period × stores × event types; empty stores / types mean all of them."""

    stores = forms.ModelMultipleChoiceField(label=_("门店"), queryset=Store.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple, help_text=_("不选即全部门店"))
    actions = forms.MultipleChoiceField(label=_("事件类型"), choices=(), required=False,
                                        widget=forms.CheckboxSelectMultiple, help_text=_("不选即全部类型"))

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_from"].required = self.fields["date_to"].required = True
        self.fields["stores"].queryset = Store.objects.filter(company=company).order_by("code")
        actions = (AuditEvent.objects.filter(company=company).order_by("action").values_list("action", flat=True)
                   .distinct())
        self.fields["actions"].choices = sorted(((a, action_label(a)) for a in actions), key=lambda c: c[1])

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and (data["date_to"] - data["date_from"]).days > 366:
            raise forms.ValidationError(_("期间最长一年，请缩小日期范围"))
        return data
