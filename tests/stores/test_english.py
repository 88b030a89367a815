"""The back office is usable in English: the compiled catalogue covers the navigation and page chrome."""

import re

import pytest

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
