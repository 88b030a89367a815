import re
from pathlib import Path

import pytest

from stores.access import Access
from stores.roles import PERMISSIONS, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLE_ORDER = [Role.HQ_ADMIN, Role.HQ_FINANCE, Role.STORE_MANAGER, Role.STORE_CLERK]


def doc_matrix() -> dict[str, set[str]]:
    matrix = {}
    for line in DOC.read_text().splitlines():
        m = re.match(r"^\| `([a-z_.]+)` \| [^|]+ \|(.+)\|$", line)
        if m:
            cells = [c.strip() for c in m.group(2).split("|")]
            matrix[m.group(1)] = {role for role, cell in zip(ROLE_ORDER, cells, strict=True) if cell == "✓"}
    return matrix


def test_it_documents_exactly_the_enforced_matrix():
    assert doc_matrix() == {perm: set(roles) for perm, roles in PERMISSIONS.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("perm", sorted(PERMISSIONS))
def test_it_grants_each_permission_to_exactly_its_roles(tenants, perm):
    users = {Role.HQ_ADMIN: tenants.hq_admin, Role.HQ_FINANCE: tenants.hq_finance,
             Role.STORE_MANAGER: tenants.manager_a1, Role.STORE_CLERK: tenants.clerk_a1}
    for role, user in users.items():
        assert Access(user).can(perm) is (role in PERMISSIONS[perm]), (perm, role)


@pytest.mark.django_db
def test_it_limits_store_roles_to_their_own_store(tenants):
    access = Access(tenants.manager_a1)
    assert access.can("invoice.reverse_approve", tenants.a1)
    assert not access.can("invoice.reverse_approve", tenants.a2)
    assert not access.can("invoice.view", tenants.b1)
    hq = Access(tenants.hq_admin)
    assert hq.can("invoice.view", tenants.a2) and not hq.can("invoice.view", tenants.b1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_attr", "visible", "hidden"),
    [
        ("hq_admin", ["发票", "总部看板", "设置"], []),
        ("hq_finance", ["发票", "总部看板", "审计记录"], ["设置", "手工开票"]),
        ("manager_a1", ["发票", "手工开票", "平台交互日志"], ["总部看板", "设置", "审计记录"]),
        ("clerk_a1", ["发票", "手工开票"], ["总部看板", "设置", "平台交互日志", "审计记录"]),
    ],
)
def test_it_shows_only_the_navigation_the_role_may_use(client, tenants, user_attr, visible, hidden):
    from django.urls import NoReverseMatch, reverse

    client.force_login(getattr(tenants, user_attr))
    response = client.get("/")
    nav = [label for _url, label in response.context["nav_items"]]
    names = {"发票": "invoicing:invoice_list", "总部看板": "invoicing:dashboard", "设置": "settings:settings_home",
             "审计记录": "audit:event_list", "手工开票": "invoicing:invoice_create", "平台交互日志": "audit:exchange_list"}

    def built(label):
        try:
            reverse(names[label])
            return True
        except NoReverseMatch:
            return False

    for label in visible:
        assert (label in nav) is built(label), label
    for label in hidden:
        assert label not in nav, label


@pytest.mark.django_db
def test_it_keeps_the_rq_dashboard_for_staff_admins(client, tenants):
    client.force_login(tenants.clerk_a1)
    assert client.get("/admin/rq/").status_code == 302  # to the admin login
    tenants.hq_admin.is_staff = True
    tenants.hq_admin.save()
    client.force_login(tenants.hq_admin)
    assert client.get("/admin/rq/").status_code == 200
