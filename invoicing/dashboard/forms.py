"""Forms of the HQ dashboard."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.forms import DateRangeMixin
from stores.models import Store


class DashboardFilterForm(DateRangeMixin):
    store = forms.ModelChoiceField(label=_("门店"), required=False, queryset=Store.objects.none(), empty_label=_("全部门店"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.for_user(user).order_by("company_id", "code")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and (data["date_to"] - data["date_from"]).days > 366:
            raise forms.ValidationError(_("日期范围最长一年，请缩小范围"))
        return data


# --- the manual issue form -------------------------------------------------------------------------
