"""The back office is usable in English: the compiled catalogue covers the navigation and page chrome."""

import re

import pytest

from tests.web.conftest import make_invoice

PAGES = ["/", "/settings/", "/invoices/"]
EN_NAV = ["Invoices", "HQ dashboard", "Settings"]
ZH_NAV = ["发票", "总部看板", "设置"]


def nav_html(response) -> str:
    assert response.status_code == 200, response.status_code
    match = re.search(r"<nav\b[^>]*>(.*?)</nav>", response.content.decode(), re.S)
    assert match, "page has no navigation"
    return match.group(1)


def nav_labels(response) -> list[str]:
    return [label.strip() for label in re.findall(r"<a\b[^>]*>([^<]*)</a>", nav_html(response))]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_it_shows_english_navigation_after_choosing_english(client, tenants, path):
    client.force_login(tenants.hq_admin)
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302

    response = client.get(path)
    labels = nav_labels(response)
    for label in EN_NAV:
        assert label in labels, (path, label, labels)
    for label in ZH_NAV:
        assert label not in labels, (path, label, labels)
    assert not re.search(r"[\u4e00-\u9fff]", "".join(labels)), labels
    assert '<html lang="en">' in response.content.decode()
    assert 'aria-label="Main navigation"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_it_shows_chinese_navigation_by_default(client, tenants, path):
    client.force_login(tenants.hq_admin)

    labels = nav_labels(client.get(path))
    for label in ZH_NAV:
        assert label in labels, (path, label, labels)
    for label in EN_NAV:
        assert label not in labels, (path, label, labels)


@pytest.mark.django_db
def test_it_translates_page_content_not_only_the_navigation(client, tenants):
    client.force_login(tenants.hq_admin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    body = client.get("/invoices/").content.decode()
    assert "<h1>Invoices</h1>" in body
    assert "Log out" in body and "退出" not in body


# --- Python strings: model choices, form labels and choices, settings wording --------------------

def english(client, user):
    client.force_login(user)
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302


@pytest.mark.django_db
def test_invoice_list_shows_english_status_labels_and_filters(client, tenants):
    make_invoice(tenants.a1, status="issued")
    english(client, tenants.hq_admin)

    body = client.get("/invoices/").content.decode()
    for text in [">Issued</span>", ">Issuance failed</option>", "All stores", "Start date", "End date",
                 "Sort by", "Date (newest first)", "Buyer name or tax ID", "Minimum total incl. tax"]:
        assert text in body, text
    for text in ["已开具", "开具失败", "全部门店", "开始日期", "排序", "日期（新→旧）"]:
        assert text not in body, text


@pytest.mark.django_db
def test_dashboard_filter_is_in_english(client, tenants):
    english(client, tenants.hq_admin)

    body = client.get("/dashboard/").content.decode()
    assert "All stores" in body and "Start date" in body
    assert "全部门店" not in body and "开始日期" not in body


@pytest.mark.django_db
def test_settings_shows_the_approval_wording_in_english(client, tenants):
    english(client, tenants.hq_admin)

    body = client.get("/settings/").content.decode()
    assert "A clerk's red reversal request needs the store manager's approval" in body or \
        "A clerk&#x27;s red reversal request needs the store manager&#x27;s approval" in body
    assert "开票员的红冲申请须店长审批" not in body


@pytest.mark.django_db
def test_the_same_screens_stay_chinese_by_default(client, tenants):
    make_invoice(tenants.a1, status="issued")
    client.force_login(tenants.hq_admin)

    body = client.get("/invoices/").content.decode()
    for text in [">已开具</span>", "全部门店", "开始日期", "排序", "日期（新→旧）"]:
        assert text in body, text
    assert "All stores" not in body and "Sort by" not in body
    assert "全部门店" in client.get("/dashboard/").content.decode()
    assert "开票员的红冲申请须店长审批" in client.get("/settings/").content.decode()
