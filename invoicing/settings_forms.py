"""Forms of invoicing's settings pages (API keys, webhooks, delivery, auto-coding, red-letter approval)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from invoicing.concurrency import SubmissionKeyMixin
from stores.models import Store
from stores.services import AUTO_CODE_MAX, AUTO_CODE_MIN


class ApiKeyForm(SubmissionKeyMixin, forms.Form):
    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.none())
    label = forms.CharField(label=_("名称"), max_length=100, help_text=_("例如：微信小程序商城、收银系统 POS-01"))

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.filter(company=company, is_active=True).order_by("code")


class WebhookForm(SubmissionKeyMixin, forms.Form):
    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.none())
    url = forms.URLField(label=_("推送地址"), max_length=500, assume_scheme="https",
                         help_text=_("发票开具、失败、取消时以 POST 推送，带 HMAC 签名（见 docs/api.md）"))

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.filter(company=company, is_active=True).order_by("code")

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("推送地址必须以 https:// 或 http:// 开头"))
        return url


class DeliveryDefaultsForm(forms.Form):
    channels = forms.MultipleChoiceField(
        label=_("默认交付渠道"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[("email", _("邮件（附 PDF 与 XML）")), ("sms", _("短信（下载链接）"))],
        help_text=_("发票开具后自动发送给购方；订单中指定的渠道优先。"))
    fallback_email = forms.EmailField(label=_("购方未留邮箱时发送到"), required=False)
    fallback_mobile = forms.CharField(label=_("购方未留手机时发送到"), required=False, max_length=11)


class AutoCodeForm(forms.Form):
    auto_code_threshold = forms.DecimalField(
        label=_("自动赋码置信度阈值"), min_value=AUTO_CODE_MIN, max_value=AUTO_CODE_MAX, decimal_places=2,
        max_digits=3,
        error_messages={
            "min_value": _("阈值不能低于 0.50：再低时自动赋的编码多半是错的"),
            "max_value": _("阈值最高为 1.00（只采用本公司记住的编码）"),
            "invalid": _("请填写 0.50 到 1.00 之间的小数，如 0.80"),
        },
        help_text=_("接口订单明细未带税收分类编码时，最可能的编码置信度达到此值才自动采用，否则发票等待人工选择编码。"
                    "1.00：只采用本公司记住的编码。"),
    )


class RedLetterPolicyForm(forms.Form):
    clerk_requests_need_approval = forms.BooleanField(label=_("开票员的红冲申请须店长审批"), required=False)
