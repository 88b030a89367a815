
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from stores.models import Store
from stores.roles import STORE_ROLES, Role


class TaxOfficeForm(forms.Form):
    tax_office_code = forms.RegexField(
        label=_("省级税务机关代码（xsfsjswjgdm）"), regex=r"^1\d{10}$", required=False, max_length=11,
        error_messages={"invalid": _("省级税务机关代码应为以1开头的11位数字，如 13100000000")},
        help_text=_("汇总确认时上传。留空则按统一社会信用代码第3–4位（省份）推算；计划单列市（如深圳）请填写本地代码。"),
    )


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
            # The same sentence as the database refusal of a simultaneous submission (stores.services).
            raise forms.ValidationError(_("门店编码 %(code)s 已被本公司其他门店使用，请换一个编码") % {"code": code})
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
