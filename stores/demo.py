"""Demo data: one company, three stores, one user per role. Idempotent (safe to run every start)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from audit.services import Actor
from invoicing.rules.taxid import make_uscc
from stores import services
from stores.models import Company, Membership, Store
from stores.roles import Role

DEMO_TAX_ID = make_uscc("91310115MA1K4DEMX")
DEMO_STORES = [
    ("SH001", "上海南京东路店", "上海市黄浦区南京东路100号", 100),
    ("SH002", "上海徐家汇店", "上海市徐汇区虹桥路1号", 50),
    ("HZ001", "杭州西湖店", "杭州市上城区湖滨路8号", 0),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    where: str


# username, (family name, given name), role, store: people's names, so the header and 申请人 read as a person.
DEMO_USERS = [
    ("hq_admin", ("周", "敏"), Role.HQ_ADMIN, None),
    ("hq_finance", ("王", "丽"), Role.HQ_FINANCE, None),
    ("manager_sh001", ("李", "强"), Role.STORE_MANAGER, "SH001"),
    ("clerk_sh001", ("陈", "静"), Role.STORE_CLERK, "SH001"),
    ("clerk_sh002", ("刘", "洋"), Role.STORE_CLERK, "SH002"),
]
# What earlier versions stored (first_name, last_name): a role and a place, renamed on the next start.
_PLACEHOLDER_NAMES = {("管理员", "总部"), ("财务", "总部"), ("店长", "南京东路"), ("开票员", "南京东路"), ("开票员", "徐家汇")}


def demo_password() -> str:
    # A demo password, not a secret: it only ever guards the local demo data.
    return os.environ.get("DEMO_PASSWORD", "kaipiao-demo")


def connect_demo_to_sandbox(company: Company) -> str:
    """Register the demo company as a unit of the local sandbox and store its credentials.

    It goes through the sandbox's control API (the same contract outside tools use), called
    in-process through the URL configuration, so it works before any server is listening.
    """
    from django.conf import settings
    from django.test import Client

    if company.has_platform_secret:
        return "演示公司已接入本地税务平台沙箱。"
    if not settings.SANDBOX_ENABLED:
        return "沙箱未启用（SANDBOX_ENABLED=false）：请在 设置 → 税务平台接入 中填写真实平台的接入信息。"
    response = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "127.0.0.1").post(
        "/sandbox/control/units", data={"nsrsbh": company.tax_id, "nsrmc": company.name},
        content_type="application/json", headers={"X-Sandbox-Token": settings.SANDBOX_ADMIN_TOKEN},
    )
    if response.status_code != 200:
        return f"未能在沙箱注册演示公司（HTTP {response.status_code}）。"
    unit = response.json()
    services.company_set_platform_credentials(
        company=company, actor=Actor.system(), unit_id=unit["jrdwptbh"], user_unit_id=unit["sydwptbh"],
        secret=unit["secret"])
    return "演示公司已在本地税务平台沙箱注册，接入信息已加密保存。"


def _grant_admin_view(user) -> None:
    """Read access in the Django admin; the rows shown are scoped to the user's company there."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["stores", "invoicing", "audit"], codename__startswith="view_"))


@transaction.atomic
def seed_demo() -> tuple[Company, list[DemoLogin]]:
    actor = Actor.system()
    company, created = Company.objects.get_or_create(
        tax_id=DEMO_TAX_ID,
        defaults=dict(name="上海开票示范连锁有限公司", address="上海市浦东新区张江路88号", phone="021-50000000",
                      bank_name="中国工商银行上海张江支行", bank_account="1001234509000012345",
                      drawer_name="王会计"),
    )
    stores = {}
    for code, name, address, rollout in DEMO_STORES:
        store = Store.objects.filter(company=company, code=code).first()
        if store is None:
            store = services.store_create(company=company, actor=actor, code=code, name=name, address=address,
                                          rollout_percent=rollout, manager_email=f"{code.lower()}@example.com")
        stores[code] = store
    User = get_user_model()
    logins = []
    for username, (family, given), role, store_code in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=demo_password(), first_name=given,
                                            last_name=family, email=f"{username}@example.com",
                                            is_staff=(role == Role.HQ_ADMIN))
        elif (user.first_name, user.last_name) in _PLACEHOLDER_NAMES:
            user.first_name, user.last_name = given, family
            user.save(update_fields=["first_name", "last_name"])
        if role == Role.HQ_ADMIN:
            _grant_admin_view(user)
        store = stores[store_code] if store_code else None
        if not Membership.objects.filter(user=user, company=company, store=store, role=role).exists():
            services.membership_grant(actor=actor, user=user, company=company, role=role, store=store)
        logins.append(DemoLogin(username, Role(role).label, store.name if store else company.name))
    return company, logins
