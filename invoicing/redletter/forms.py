"""Forms of the red-letter screens: they parse input; the rules live in rules.py and services.py."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from invoicing.concurrency import SubmissionKeyMixin
from invoicing.models import RedLetterForm
from invoicing.redletter.rules import Requested
from stores.models import Store

MODE_CHOICES = [("full", _("全额红冲（剩余全部）")), ("partial", _("部分红冲（按行填写数量或金额）"))]


class ReverseForm(SubmissionKeyMixin, forms.Form):
    """Reason, full or partial, and for a partial reversal a quantity or an amount per blue line."""

    reason = forms.ChoiceField(label=_("红冲原因"), choices=RedLetterForm.Reason.choices,
                               help_text=_("01开票有误；02销货退回只能按数量（单价不变）；03服务中止不能用于货物；04销售折让只填金额"))
    mode = forms.ChoiceField(label=_("红冲方式"), choices=MODE_CHOICES, initial="full", widget=forms.RadioSelect)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.remaining_lines = list(lines)
        for line in self.remaining_lines:
            self.fields[f"qty_{line.line_no}"] = forms.DecimalField(
                label=_("第%(line)s行数量") % {"line": line.line_no}, required=False, min_value=Decimal("0"), max_digits=30,
                decimal_places=13)
            self.fields[f"amt_{line.line_no}"] = forms.DecimalField(
                label=_("第%(line)s行金额（不含税）") % {"line": line.line_no}, required=False, min_value=Decimal("0"), max_digits=18,
                decimal_places=2)

    def line_rows(self):
        """(remaining line, quantity field, amount field) for the template's table."""
        return [(line, self[f"qty_{line.line_no}"], self[f"amt_{line.line_no}"]) for line in self.remaining_lines]

    def requested(self) -> list[Requested]:
        data = self.cleaned_data
        result = []
        for line in self.remaining_lines:
            quantity, amount = data.get(f"qty_{line.line_no}"), data.get(f"amt_{line.line_no}")
            if quantity or amount:
                result.append(Requested(line_no=line.line_no, quantity=quantity or None, amount=amount or None))
        return result

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == "partial" and not self.requested():
            raise forms.ValidationError(_("部分红冲请至少在一行填写红冲数量或金额"))
        return cleaned


class FormFilterForm(forms.Form):
    pending = forms.BooleanField(label=_("只看待处理"), required=False)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(RedLetterForm.State.choices))
    approval = forms.ChoiceField(label=_("审批"), required=False,
                                 choices=[("", _("全部"))] + list(RedLetterForm.Approval.choices))
    q = forms.CharField(label=_("确认单/蓝字发票号码"), required=False, max_length=40)


class BatchReversalForm(SubmissionKeyMixin, forms.Form):
    """Which invoices (store, issue dates, or explicit numbers) and one reason for all of them."""

    reason = forms.ChoiceField(label=_("红冲原因"), choices=RedLetterForm.Reason.choices)
    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.none(), required=False, empty_label=_("全部门店"))
    date_from = forms.DateField(label=_("开票日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("开票日期到"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    numbers = forms.CharField(label=_("发票号码（每行一个，可选）"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, stores=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores if stores is not None else Store.objects.none()

    def clean_numbers(self) -> list[str]:
        numbers = [n for n in re.split(r"[\s,，;；]+", self.cleaned_data.get("numbers") or "") if n]
        bad = [n for n in numbers if not re.fullmatch(r"\d{20}", n)]
        if bad:
            raise forms.ValidationError(_("发票号码须为20位数字：%(numbers)s") % {"numbers": "、".join(bad[:5])})
        return numbers

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("store") or cleaned.get("date_from") or cleaned.get("date_to") or cleaned.get("numbers")):
            raise forms.ValidationError(_("请至少填写一个条件：门店、开票日期或发票号码（避免误冲全部发票）"))
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            raise forms.ValidationError(_("开票日期“从”不能晚于“到”"))
        return cleaned
