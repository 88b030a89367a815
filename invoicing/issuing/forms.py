"""Forms of the invoice screens: the list's filters and the manual issue form."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from audit.forms import DateRangeMixin
from invoicing.concurrency import SubmissionKeyMixin
from invoicing.issuing.drafts import EnteredLine, ManualDraft, manual_draft_build
from invoicing.models import Invoice
from invoicing.models.invoices import FAILURE_REASONS, ISSUED_ANY, REVERSAL_LABELS
from invoicing.rules import limits
from invoicing.rules.invoice import ORDINARY, PLATFORM_RATES, RATE_CHOICES, SPECIAL
from stores.models import Store

SORTS = [
    ("-date", _("日期（新→旧）")),
    ("date", _("日期（旧→新）")),
    ("-amount", _("金额（高→低）")),
    ("amount", _("金额（低→高）")),
    ("status", _("状态")),
]

PREFERENTIAL_CHOICES = [("", _("正常征税")), ("03", _("免税")), ("04", _("不征税"))]


def _money_field(label: str, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, max_digits=18, decimal_places=2, min_value=Decimal(0),
        error_messages={"invalid": format_lazy(_("{label}应为数字，如 100 或 99.50"), label=label),
                        "max_decimal_places": format_lazy(_("{label}最多两位小数（精确到分）"), label=label),
                        "min_value": format_lazy(_("{label}不能为负数"), label=label)},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}), **kwargs,
    )


# Status filters that are not one status: the dashboard's backlog figures link to them.
BACKLOG, STUCK = "backlog", "stuck"


def _hidden_date(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.HiddenInput)


class InvoiceFilterForm(DateRangeMixin):
    q = forms.CharField(label=_("购方名称或税号"), required=False, max_length=200)
    number = forms.CharField(label=_("发票号码"), required=False, max_length=20)
    order_no = forms.CharField(label=_("订单号"), required=False, max_length=64)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[
        ("", _("全部")), *Invoice.Status.choices, *REVERSAL_LABELS.items(),
        (ISSUED_ANY, _("已开具（含已红冲）")), (BACKLOG, _("积压（待开具或上传中）")), (STUCK, _("积压超时"))])
    kind = forms.ChoiceField(label=_("蓝/红"), required=False, choices=[("", _("全部")), *Invoice.Kind.choices])
    # What the dashboard's figures count by (hidden: the list shows them as a note with a way back).
    confirmed_from = _hidden_date(_("开具日期从"))
    confirmed_to = _hidden_date(_("开具日期到"))
    failed_from = _hidden_date(_("失败日期从"))
    failed_to = _hidden_date(_("失败日期到"))
    category = forms.CharField(label=_("税收分类"), required=False, max_length=40, widget=forms.HiddenInput)
    rate = forms.ChoiceField(label=_("明细税率"), required=False, widget=forms.HiddenInput,
                             choices=[("", ""), *((str(r.normalize()), str(r)) for r in PLATFORM_RATES)])
    reason = forms.ChoiceField(label=_("失败原因"), required=False, choices=[("", _("全部")), *FAILURE_REASONS.items()])
    amount_min = _money_field(_("最小价税合计"))
    amount_max = _money_field(_("最大价税合计"))
    store = forms.ModelChoiceField(label=_("门店"), required=False, queryset=Store.objects.none(), empty_label=_("全部门店"))
    coding = forms.ChoiceField(label=_("赋码"), required=False,
                               choices=[("", _("全部")), ("awaiting", _("待人工赋码"))])
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=SORTS)

    def __init__(self, *args, user, is_hq: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if is_hq:
            self.fields["store"].queryset = Store.objects.for_user(user).order_by("company_id", "code")
        else:
            del self.fields["store"]

    def clean(self):
        data = super().clean()
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("最大价税合计不能小于最小价税合计"))
        return data


class InvoiceHeaderForm(SubmissionKeyMixin, forms.Form):
    store = forms.ModelChoiceField(label=_("开票门店"), queryset=Store.objects.none(), empty_label=None)
    invoice_type = forms.ChoiceField(
        label=_("发票种类"), choices=[(ORDINARY, _("普通发票（普票）")), (SPECIAL, _("增值税专用发票（专票）"))],
        initial=ORDINARY, widget=forms.RadioSelect,
    )
    buyer_kind = forms.ChoiceField(
        label=_("购买方类型"), choices=[("company", _("单位")), ("person", _("个人（自然人）"))], initial="company",
        widget=forms.RadioSelect,
    )
    buyer_name = forms.CharField(label=_("购买方名称"), max_length=limits.BUYER_NAME_MAX,
                                 error_messages={"required": _("请填写购买方名称（个人可填姓名）"),
                                                 "max_length": _("购买方名称最多100个字，请删减")},
                                 widget=forms.TextInput(attrs={"autocomplete": "off"}))
    buyer_tax_id = forms.CharField(label=_("购买方纳税人识别号"), required=False, max_length=20,
                                   help_text=_("专票必填；15–20位数字或大写字母"),
                                   widget=forms.TextInput(attrs={"autocomplete": "off"}))
    buyer_address = forms.CharField(label=_("购买方地址"), required=False, max_length=300)
    buyer_phone = forms.CharField(label=_("购买方电话"), required=False, max_length=40)
    buyer_bank_name = forms.CharField(label=_("开户银行"), required=False, max_length=200)
    buyer_bank_account = forms.CharField(label=_("银行账号"), required=False, max_length=60)
    buyer_email = forms.EmailField(label=_("收票邮箱"), required=False, max_length=254,
                                   error_messages={"invalid": _("收票邮箱格式不正确，如 name@example.com")})
    buyer_mobile = forms.RegexField(label=_("收票手机"), required=False, regex=r"^1\d{10}$",
                                    error_messages={"invalid": _("收票手机应为11位手机号")})
    price_includes_tax = forms.ChoiceField(label=_("单价"), choices=[("1", _("含税")), ("0", _("不含税"))], initial="1",
                                           widget=forms.RadioSelect)
    remark = forms.CharField(label=_("备注"), required=False, max_length=450,
                             error_messages={"max_length": _("备注最多450个字，请删减")},
                             widget=forms.Textarea(attrs={"rows": 2}))
    # the 草稿 it was reopened from (a bigint: a longer number is refused as a field error, not by the database)
    saved_draft = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores
        if len(stores) == 1:
            self.fields["store"].initial = stores[0].pk
            self.fields["store"].widget = forms.HiddenInput()

    def clean_buyer_tax_id(self):
        return self.cleaned_data["buyer_tax_id"].strip().upper()

    def clean_buyer_name(self):
        return self.cleaned_data["buyer_name"].strip()

    def clean_remark(self):
        # The textarea invites line breaks; the invoice prints one line, so they become spaces.
        return " ".join(self.cleaned_data["remark"].split())

    def clean(self):
        """The platform's printing limits, as the API applies them (invoicing.rules.limits)."""
        data = super().clean()
        _refuse_unprintable(self, data, ("buyer_name", "buyer_address", "buyer_phone", "buyer_bank_name",
                                         "buyer_bank_account", "remark"))
        if len(data.get("buyer_address", "") + data.get("buyer_phone", "")) > limits.BUYER_ADDRESS_PHONE_MAX:
            self.add_error("buyer_address", _("地址和电话合计最多100个字（发票上印在同一栏），请删减"))
        if len(data.get("buyer_bank_name", "") + data.get("buyer_bank_account", "")) > limits.BUYER_BANK_ACCOUNT_MAX:
            self.add_error("buyer_bank_name", _("开户银行和账号合计最多100个字（发票上印在同一栏），请删减"))
        return data


def _refuse_unprintable(form, data: dict, names) -> None:
    for name in names:
        problem = limits.text_problem(data.get(name) or "")
        if problem:
            form.add_error(name, f"{form.fields[name].label}{problem}")


class InvoiceLineForm(forms.Form):
    product = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("项目名称"), required=False, max_length=limits.ITEM_NAME_MAX,
                           error_messages={"max_length": _("项目名称最多90个字，请删减")})
    tax_code = forms.RegexField(label=_("税收分类编码"), required=False, regex=r"^\d{19}$",
                                error_messages={"invalid": _("税收分类编码应为19位数字，请从商品目录选择")},
                                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    rate = forms.ChoiceField(label=_("税率"), choices=RATE_CHOICES, initial="0.13")
    preferential = forms.ChoiceField(label=_("征税方式"), required=False, choices=PREFERENTIAL_CHOICES)
    spec = forms.CharField(label=_("规格型号"), required=False, max_length=40)
    unit = forms.CharField(label=_("单位"), required=False, max_length=20)
    quantity = forms.DecimalField(
        label=_("数量"), required=False, max_digits=25, decimal_places=8, min_value=Decimal("0.00000001"),
        error_messages={"invalid": _("数量应为数字，如 2 或 1.5"), "min_value": _("数量须大于0"),
                        "max_decimal_places": _("数量最多8位小数")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    price = forms.DecimalField(
        label=_("单价"), required=False, max_digits=25, decimal_places=8, min_value=Decimal("0.00000001"),
        error_messages={"invalid": _("单价应为数字，如 12.5"), "min_value": _("单价须大于0"),
                        "max_decimal_places": _("单价最多8位小数")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    amount = _money_field(_("金额"), help_text=_("不填数量和单价时填写本行金额"))
    discount = _money_field(_("折扣金额"))

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(data.get(name) not in (None, "") for name in ("name", "tax_code", "quantity", "price", "amount"))

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if not data.get("name"):
            self.add_error("name", _("请填写项目名称"))
        _refuse_unprintable(self, data, ("name", "spec", "unit"))
        if not data.get("tax_code") and "tax_code" not in self.errors:
            self.add_error("tax_code", _("请填写税收分类编码（可从商品目录选择商品自动带出）"))
        return data


InvoiceLineFormSet = formset_factory(InvoiceLineForm, extra=2, min_num=1, max_num=200, validate_max=True)


class IssueForm:
    """The header form and the line formset together, checked by the same rules as the pipeline."""

    line_prefix = "lines"

    def __init__(self, data=None, *, stores, initial=None, lines_initial=None):
        self.header = InvoiceHeaderForm(data, stores=stores, initial=initial)
        self.lines = InvoiceLineFormSet(data, prefix=self.line_prefix, initial=lines_initial)
        self.manual: ManualDraft | None = None
        self.rule_errors: dict[str, list[str]] = {}

    @property
    def is_bound(self) -> bool:
        return self.header.is_bound

    def is_valid(self) -> bool:
        """Field checks, then every RULES.md check on whatever parsed (so all errors show at once)."""
        forms_ok = self.header.is_valid() & self.lines.is_valid()
        header = {name: self.header.cleaned_data.get(name, "") for name in self.header.fields}
        entered = [
            EnteredLine(
                row=row, name=form.cleaned_data["name"].strip(), tax_code=form.cleaned_data["tax_code"],
                rate=Decimal(form.cleaned_data["rate"]), preferential=form.cleaned_data.get("preferential") or "",
                spec=form.cleaned_data.get("spec", ""), unit=form.cleaned_data.get("unit", ""),
                quantity=form.cleaned_data.get("quantity"), price=form.cleaned_data.get("price"),
                amount=form.cleaned_data.get("amount"), discount=form.cleaned_data.get("discount"),
                product_id=form.cleaned_data.get("product"),
            )
            for row, form in enumerate(self.lines.forms)
            if not form.errors and getattr(form, "cleaned_data", None) and not form.is_blank()
        ]
        buyer = {
            "name": header["buyer_name"], "tax_id": header["buyer_tax_id"],
            "is_person": header["buyer_kind"] == "person", "address": header["buyer_address"],
            "phone": header["buyer_phone"], "bank_name": header["buyer_bank_name"],
            "bank_account": header["buyer_bank_account"], "email": header["buyer_email"],
            "mobile": header["buyer_mobile"],
        }
        self.manual = manual_draft_build(
            invoice_type=header["invoice_type"] or ORDINARY, buyer=buyer, remark=header["remark"],
            price_includes_tax=header["price_includes_tax"] != "0", lines=entered, line_prefix=self.line_prefix,
        )
        lines_have_errors = any(form.errors for form in self.lines.forms)
        self.rule_errors = {
            name: messages for name, messages in self.manual.errors.items()
            if not self._has_field_error(name) and not (name == "__all__" and lines_have_errors)
        }
        self._attach(self.rule_errors)
        return forms_ok and not self.rule_errors

    def _has_field_error(self, name: str) -> bool:
        form, field = self._locate(name)
        return form is not None and field in form.errors

    def _attach(self, errors: dict[str, list[str]]) -> None:
        """Put rule messages on the inputs they name, so the re-rendered page shows them inline."""
        for name, messages in errors.items():
            form, field = self._locate(name)
            for message in messages:
                if form is None:
                    self.header.add_error(None, message)
                else:
                    form.add_error(field, message)

    def _locate(self, name: str):
        if name.startswith(self.line_prefix + "-"):
            _, row, field = name.split("-", 2)
            return self.lines.forms[int(row)], field
        if name in self.header.fields:
            return self.header, name
        return None, None

    def errors_by_name(self) -> dict[str, list[str]]:
        """Every error keyed by the input's HTML name (``__all__`` for the whole form)."""
        out: dict[str, list[str]] = {}
        for name, messages in self.header.errors.items():
            out[name if name != "__all__" else "__all__"] = list(messages)
        for form in self.lines.forms:
            for name, messages in form.errors.items():
                out[form.add_prefix(name) if name != "__all__" else "__all__"] = list(messages)
        if self.lines.non_form_errors():
            out.setdefault("__all__", []).extend(self.lines.non_form_errors())
        return out

    def warnings_by_name(self) -> dict[str, list[str]]:
        return dict(self.manual.warnings) if self.manual else {}


def issue_initial_copied(invoice) -> tuple[dict, list[dict]]:
    """复制开票: an earlier invoice's buyer and lines as a new form (a new submission, not a correction)."""
    header, rows = issue_initial_from_invoice(invoice)
    del header["submission_key"]  # a fresh one: this is a new invoice, never a resend of the original
    return header, rows


def issue_initial_from_invoice(invoice) -> tuple[dict, list[dict]]:
    """The form's starting values for correcting a failed invoice (discount lines folded back)."""
    header = {
        "store": invoice.store_id, "invoice_type": invoice.type,
        "buyer_kind": "person" if invoice.buyer_is_person else "company", "buyer_name": invoice.buyer_name,
        "buyer_tax_id": invoice.buyer_tax_id, "buyer_address": invoice.buyer_address,
        "buyer_phone": invoice.buyer_phone, "buyer_bank_name": invoice.buyer_bank_name,
        "buyer_bank_account": invoice.buyer_bank_account, "buyer_email": invoice.buyer_email,
        "buyer_mobile": invoice.buyer_mobile, "price_includes_tax": "0", "remark": invoice.remark,
        "submission_key": f"edit-{invoice.pk}",
    }
    rows: list[dict] = []
    for line in invoice.lines.order_by("line_no"):
        if line.line_kind == "01" and rows:
            rows[-1]["discount"] = -line.amount
            continue
        rows.append({
            "name": line.name, "tax_code": line.tax_code, "rate": str(line.rate.normalize()) if line.rate else "0",
            "preferential": line.preferential, "spec": line.spec, "unit": line.unit,
            "quantity": line.quantity.normalize() if line.quantity is not None else None,
            "price": line.unit_price.normalize() if line.unit_price is not None else None,
            "amount": line.amount if line.quantity is None else None,
        })
    return header, rows
