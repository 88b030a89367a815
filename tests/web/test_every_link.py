"""Every page every role can reach renders, and every link and form on it resolves.

A renamed URL used to make a button vanish silently (views caught NoReverseMatch); now a
template naming a missing URL fails to render, and this crawl fails with it. Links are followed
from the home page as each role sees them; file downloads are resolved but not rendered.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

from tests.web.conftest import make_invoice, make_product

# Not ours to crawl (Django's admin and the RQ dashboard have their own tests), or not a page.
SKIP_PREFIXES = ("/admin/", "/sandbox/", "/i18n/", "/accounts/logout/", "/static/")
RESOLVE_ONLY_PREFIXES = ("/documents/",)
MAX_PAGES = 120
MAX_VARIANTS = 2  # the same path with other query strings (pages, sorts): a couple is enough


class _Links(HTMLParser):
    """Links to follow (a href, GET forms) and targets only to resolve (POST forms: they change state)."""

    def __init__(self):
        super().__init__()
        self.follow, self.post = set(), set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and (attrs.get("href") or "").startswith("/"):
            self.follow.add(attrs["href"].split("#")[0])
        elif tag == "form" and (attrs.get("action") or "").startswith("/"):
            post = (attrs.get("method") or "get").lower() == "post"
            (self.post if post else self.follow).add(attrs["action"].split("#")[0])


def _links(html: str) -> tuple[set[str], set[str]]:
    parser = _Links()
    parser.feed(html)
    return parser.follow, parser.post


@pytest.fixture
def seeded(tenants):
    from invoicing.models import Invoice

    make_product(tenants.a)
    for status in (Invoice.Status.ISSUED, Invoice.Status.FAILED, Invoice.Status.DRAFT, Invoice.Status.PENDING):
        make_invoice(tenants.a1, status=status, order_no=f"LINK-{status}")
    make_invoice(tenants.a2)
    return tenants


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["hq_admin", "hq_finance", "manager_a1", "clerk_a1"])
def test_it_renders_every_reachable_page_and_resolves_every_link(client, seeded, role):
    client.force_login(getattr(seeded, role))
    seen_paths: dict[str, int] = {}
    queue, visited, broken = ["/"], set(), []
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        response = client.get(url, follow=True)
        if response.status_code != 200:
            broken.append(f"{url} → {response.status_code}")
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        follow, post = _links(response.content.decode())
        for link in sorted(follow | post):
            path = urlsplit(link).path
            if path.startswith(SKIP_PREFIXES):
                continue
            try:
                resolve(path)
            except Resolver404:
                broken.append(f"{url} links to {link}, which resolves to no view")
                continue
            if link in post or path.startswith(RESOLVE_ONLY_PREFIXES) or link in visited:
                continue
            if seen_paths.get(path, 0) >= MAX_VARIANTS:
                continue
            seen_paths[path] = seen_paths.get(path, 0) + 1
            queue.append(link)
    assert not broken, "\n".join(broken)
    # The crawl really went somewhere: the list, a detail page, and (for issuers) the form.
    assert any(u.startswith("/invoices/") and u[10:11].isdigit() for u in visited), sorted(visited)
    assert len(visited) >= 8, sorted(visited)


@pytest.mark.django_db
def test_it_offers_pdf_and_xml_downloads_of_an_issued_invoice(client, seeded):
    from invoicing.models import Invoice

    invoice = Invoice.objects.filter(store=seeded.a1, status=Invoice.Status.ISSUED).first()
    client.force_login(seeded.clerk_a1)
    html = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f"/documents/invoices/{invoice.pk}/pdf/" in html
    assert f"/documents/invoices/{invoice.pk}/xml/" in html
    failed = Invoice.objects.filter(store=seeded.a1, status=Invoice.Status.FAILED).first()
    assert f"/documents/invoices/{failed.pk}/pdf/" not in client.get(f"/invoices/{failed.pk}/").content.decode()
