"""No page puts the CSRF token where it ends up in a URL (logs, history, Referer): no link or
form action carries it, and no GET form holds the token field (submitting it would)."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.delivery.conftest import make_invoice

TOKEN = "csrfmiddlewaretoken"


def _argless_routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in ("admin",) or "rq" in str(entry.pattern):
                continue
            yield from _argless_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and not entry.pattern.converters and "<" not in str(entry.pattern) \
                and not str(entry.pattern).startswith("^"):
            yield "/" + prefix + str(entry.pattern)


def offending(html: str) -> list[str]:
    found = [m.group(0) for m in re.finditer(r'(?:href|action|src)\s*=\s*"[^"]*' + TOKEN + r'[^"]*"', html)]
    for form in re.finditer(r"<form\b([^>]*)>(.*?)</form>", html, re.S | re.I):
        method = re.search(r'method\s*=\s*"(\w+)"', form.group(1))
        if (method is None or method.group(1).lower() == "get") and TOKEN in form.group(2):
            found.append("GET form with the token: " + form.group(1).strip())
    return found


def test_the_check_catches_both_shapes():
    assert offending(f'<a href="/x/?{TOKEN}=abc">x</a>')
    assert offending(f'<form method="get"><input name="{TOKEN}" value="v"></form>')
    assert not offending(f'<form method="post"><input name="{TOKEN}" value="v"></form>')


@pytest.mark.django_db
def test_no_page_renders_the_token_into_a_url(client, tenants):
    invoice = make_invoice(tenants.a1)
    routes = sorted(set(_argless_routes()))
    assert len(routes) > 15
    extra = [reverse("audit:report_list") + f"?company={tenants.a.pk}&date_from=2025-03-01&date_to=2025-03-31",
             f"/invoices/{invoice.pk}/"]
    checked = 0
    for user in (tenants.hq_admin, tenants.hq_finance, tenants.manager_a1, tenants.clerk_a1):
        client.force_login(user)
        for url in routes + extra:
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            body = response.content.decode()
            assert not offending(body), (user.username, url, offending(body))
            checked += 1
    assert checked > 30


def test_prepare_export_posts_and_redirects_to_links_without_the_token(client, tenants):
    client.force_login(tenants.hq_finance)
    response = client.post(reverse("audit:report_list"), {"company": tenants.a.pk, "date_from": "2025-03-01",
                                                          "date_to": "2025-03-31", "stores": [tenants.a1.pk],
                                                          "do": "export"})
    assert response.status_code == 302 and TOKEN not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert reverse("audit:export", args=["audit", "csv"]) + "?" in page and f"stores={tenants.a1.pk}" in page
    assert not offending(page)
    # A token typed into the address bar is not echoed into the links either.
    page = client.get(response["Location"] + f"&{TOKEN}=leaked").content.decode()
    assert not re.search(r'href="[^"]*leaked', page)
