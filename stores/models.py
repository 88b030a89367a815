from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from invoicing.rules.taxid import TAX_OFFICE_CODE, check_uscc, province_tax_office_code
from invoicing.taxcodes.policy import DEFAULT_AUTO_CODE_THRESHOLD
from stores.roles import HQ_ROLES, STORE_ROLES, Role


def validate_uscc(value: str) -> None:
    result = check_uscc(value)
    if result.errors:
        raise ValidationError(result.errors[0], code="uscc")


class CompanyQuerySet(models.QuerySet):
    def for_user(self, user):
        """Companies the user belongs to (through any membership)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user).distinct()


class Company(models.Model):
    """纳税主体: the taxpayer that issues invoices."""

    name = models.CharField(_("名称"), max_length=200)
    tax_id = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc])
    address = models.CharField(_("地址"), max_length=300, blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    bank_name = models.CharField(_("开户行"), max_length=200, blank=True)
    bank_account = models.CharField(_("银行账号"), max_length=60, blank=True)
    # Tax-platform access: unit ids are not secret; the key is encrypted at rest and write-only.
    platform_unit_id = models.CharField(_("接入单位平台编号"), max_length=40, blank=True)
    platform_user_unit_id = models.CharField(_("使用单位平台编号"), max_length=40, blank=True)
    platform_secret_encrypted = models.BinaryField(_("平台密钥（加密）"), blank=True, default=b"", editable=False)
    platform_secret_hint = models.CharField(_("密钥末四位"), max_length=8, blank=True, editable=False)
    platform_sign_type = models.CharField(
        _("签名方式"), max_length=8, choices=[("HMAC", "HMAC-SM3"), ("SM2", "SM2")], default="HMAC"
    )
    platform_sm2_private_key_encrypted = models.BinaryField(blank=True, default=b"", editable=False)
    drawer_name = models.CharField(_("开票人"), max_length=40, blank=True, default="")
    drawer_id_number = models.CharField(
        _("开票人身份证号码"), max_length=30, blank=True, default="",
        help_text=_("随每张发票报送税务平台（开票人证件号码）；留空则不报送"),
    )
    tax_office_code = models.CharField(
        _("省级税务机关代码"), max_length=11, blank=True, default="",
        validators=[RegexValidator(TAX_OFFICE_CODE, _("省级税务机关代码应为以1开头的11位数字，如 13100000000"))],
        help_text=_("留空时按统一社会信用代码第3–4位（省份）推算，如上海为 13100000000"),
    )
    auto_code_threshold = models.DecimalField(
        _("自动赋码置信度阈值"), max_digits=4, decimal_places=2, default=DEFAULT_AUTO_CODE_THRESHOLD,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("纳税主体")

    def __str__(self) -> str:
        return self.name

    @property
    def has_platform_secret(self) -> bool:
        return bool(self.platform_secret_encrypted)

    @property
    def effective_tax_office_code(self) -> str:
        """The code set on the company, else the one derived from its tax id (xsfsjswjgdm)."""
        return self.tax_office_code or province_tax_office_code(self.tax_id)


class StoreQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one place that decides which stores a user may see."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            Q(company__memberships__user=user, company__memberships__role__in=HQ_ROLES)
            | Q(memberships__user=user, memberships__role__in=STORE_ROLES)
        ).distinct()


class Store(models.Model):
    """门店."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="stores", verbose_name=_("纳税主体"))
    code = models.CharField(
        _("门店编码"), max_length=32,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("门店编码只能包含字母、数字、下划线和短横线"))],
    )
    name = models.CharField(_("门店名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    rollout_percent = models.PositiveSmallIntegerField(
        _("自动开票比例（%）"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    manager_email = models.EmailField(_("店长邮箱"), blank=True)
    alert_failure_rate = models.PositiveSmallIntegerField(
        _("失败率告警阈值（%）"), default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    alert_backlog = models.PositiveIntegerField(_("积压告警阈值（张）"), default=50, validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoreQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("门店")
        ordering = ["company_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="store_code_unique_per_company"),
            models.CheckConstraint(
                condition=Q(rollout_percent__gte=0, rollout_percent__lte=100), name="store_rollout_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user):
        """HQ admins see the memberships of their company; others only their own."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        admin_companies = Membership.objects.filter(user=user, role=Role.HQ_ADMIN).values("company_id")
        return self.filter(Q(company_id__in=admin_companies) | Q(user=user))


class Membership(models.Model):
    """A user's role in a company (HQ roles) or in one store (store roles)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("成员与角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "company", "store", "role"], name="membership_unique",
                                    nulls_distinct=False),
            models.CheckConstraint(
                condition=(Q(role__in=sorted(HQ_ROLES), store__isnull=True)
                           | Q(role__in=sorted(STORE_ROLES), store__isnull=False)),
                name="membership_store_matches_role",
            ),
        ]

    def __str__(self) -> str:
        where = self.store.name if self.store_id else self.company.name
        return f"{self.user} · {where} · {self.get_role_display()}"

    def clean(self):
        if self.role in STORE_ROLES and not self.store_id:
            raise ValidationError({"store": _("门店角色必须指定门店")})
        if self.role in HQ_ROLES and self.store_id:
            raise ValidationError({"store": _("总部角色不能指定门店")})
        if self.store_id and self.store.company_id != self.company_id:
            raise ValidationError({"store": _("门店不属于该纳税主体")})
