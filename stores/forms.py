
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from stores.models import Store
from stores.roles import STORE_ROLES, Role
from stores.services import AUTO_CODE_MAX, AUTO_CODE_MIN


class StoreForm(forms.ModelForm):
    class Meta:
        model = Store
        fields = ["code", "name", "address", "is_active", "rollout_percent", "manager_email",
                  "alert_failure_rate", "alert_backlog"]
        help_texts = {
            "rollout_percent": _("0–100。按订单号确定地选择：比例内的已付款订单自动开票，其余等待人工开票。"),
            "alert_failure_rate": _("当日开票失败率超过该值时在看板告警并邮件通知总部。"),
            "alert_backlog": _("待开票与卡住的发票超过该数量时告警。"),
        }

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        if self.instance.pk:
            self.fields["code"].disabled = True  # the code is the integration key of the store

    def clean_code(self):
        code = self.cleaned_data["code"]
        clash = Store.objects.filter(company=self.company, code=code).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("本公司已有该门店编码"))
        return code

    def _post_clean(self):
        self.instance.company = self.company
        super()._post_clean()


class CredentialsForm(forms.Form):
    unit_id = forms.CharField(label=_("接入单位平台编号（jrdwptbh）"), max_length=40)
    user_unit_id = forms.CharField(label=_("使用单位平台编号（sydwptbh）"), max_length=40, required=False,
                                   help_text=_("自用模式下与接入单位相同，可留空"))
    secret = forms.CharField(label=_("平台密钥"), max_length=32, min_length=32, widget=forms.PasswordInput(render_value=False),
                             help_text=_("32位十六进制。只写不读：保存后只显示末四位。"),
                             error_messages={"min_length": _("平台密钥应为32位十六进制字符"), "max_length": _("平台密钥应为32位十六进制字符")})
    sign_type = forms.ChoiceField(label=_("签名方式"), choices=[("HMAC", "HMAC-SM3"), ("SM2", _("SM2 证书"))])
    sm2_private_key = forms.CharField(label=_("SM2 私钥（仅 SM2 签名）"), required=False, max_length=64,
                                      widget=forms.PasswordInput(render_value=False))


class MembershipGrantForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=60, required=False, help_text=_("新用户时填写"))
    email = forms.EmailField(label=_("邮箱"), required=False)
    password = forms.CharField(label=_("初始密码"), required=False, widget=forms.PasswordInput(render_value=False),
                               help_text=_("新用户必填；已有用户留空"))
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.none(), required=False,
                                   help_text=_("门店角色必选；总部角色不选"))

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        self.fields["store"].queryset = Store.objects.filter(company=company).order_by("code")

    def clean(self):
        data = super().clean()
        role, store = data.get("role"), data.get("store")
        if role in STORE_ROLES and store is None:
            self.add_error("store", _("门店角色必须指定门店"))
        if role and role not in STORE_ROLES and store is not None:
            self.add_error("store", _("总部角色不能指定门店"))
        username = (data.get("username") or "").strip()
        existing = get_user_model().objects.filter(username=username).first()
        if existing is None:
            if not data.get("password"):
                self.add_error("password", _("新用户必须设置初始密码"))
            else:
                try:
                    validate_password(data["password"])
                except forms.ValidationError as exc:
                    self.add_error("password", exc)
        data["existing_user"] = existing
        return data


class ApiKeyForm(forms.Form):
    store = forms.ModelChoiceField(label=_("门店"), queryset=Store.objects.none())
    label = forms.CharField(label=_("名称"), max_length=100, help_text=_("例如：微信小程序商城、收银系统 POS-01"))

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.filter(company=company, is_active=True).order_by("code")


class WebhookForm(forms.Form):
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
