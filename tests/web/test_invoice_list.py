from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Invoice
from tests.web.conftest import make_invoice

URL = reverse("invoicing:invoice_list")
pytestmark = pytest.mark.django_db


def test_it_shows_a_clerk_only_their_store(tenants, client_for):
    mine = make_invoice(tenants.a1, buyer_name="本店买家")
    make_invoice(tenants.a2, buyer_name="二店买家")
    make_invoice(tenants.b1, buyer_name="乙公司买家")
    r = client_for(tenants.clerk_a1).get(URL)
    assert r.status_code == 200
    assert list(r.context["page"].object_list) == [mine]
    assert "二店买家" not in r.content.decode() and "乙公司买家" not in r.content.decode()
    assert "store" not in r.context["form"].fields


def test_it_shows_hq_every_store_of_their_company(tenants, client_for):
    a1, a2 = make_invoice(tenants.a1), make_invoice(tenants.a2)
    make_invoice(tenants.b1)
    r = client_for(tenants.hq_finance).get(URL)
    assert set(r.context["page"].object_list) == {a1, a2}
    r = client_for(tenants.hq_finance).get(URL, {"store": tenants.a2.pk})
    assert list(r.context["page"].object_list) == [a2]


def test_it_ignores_a_store_filter_for_another_company(tenants, client_for):
    make_invoice(tenants.b1)
    r = client_for(tenants.hq_admin).get(URL, {"store": tenants.b1.pk})
    assert r.status_code == 200
    assert r.context["form"].errors  # not a choice for this user
    assert all(inv.company_id == tenants.a.pk for inv in r.context["page"].object_list)


def test_it_filters(tenants, client_for):
    old = make_invoice(tenants.a1, buyer_name="老客户", amount="10.00",
                       created_at=timezone.now() - timedelta(days=40))
    big = make_invoice(tenants.a1, buyer_name="大客户有限公司", amount="5000.00", order_no="ORD-777")
    failed = make_invoice(tenants.a1, status=Invoice.Status.FAILED, failure_code="platform_refused",
                          failure_message="平台拒绝", buyer_tax_id="")
    c = client_for(tenants.manager_a1)

    def ids(**params):
        return {inv.pk for inv in c.get(URL, params).context["page"].object_list}

    assert ids(q="大客户") == {big.pk}
    assert ids(q=big.buyer_tax_id) == {old.pk, big.pk}
    assert ids(number=big.number) == {big.pk}
    assert ids(status="failed") == {failed.pk}
    assert ids(status="failed", reason="platform_refused") == {failed.pk}
    assert ids(status="failed", reason="quota") == set()
    assert ids(amount_min="1000") == {big.pk}
    assert ids(amount_max="20") == {old.pk}
    assert ids(order_no="ORD-777") == {big.pk}
    today = timezone.localdate()
    assert ids(date_from=(today - timedelta(days=1)).isoformat()) == {big.pk, failed.pk}
    assert ids(date_to=(today - timedelta(days=30)).isoformat()) == {old.pk}


def test_it_sorts_by_amount_and_date(tenants, client_for):
    small = make_invoice(tenants.a1, amount="1.00")
    large = make_invoice(tenants.a1, amount="999.00")
    c = client_for(tenants.clerk_a1)
    assert list(c.get(URL, {"sort": "-amount"}).context["page"].object_list) == [large, small]
    assert list(c.get(URL, {"sort": "amount"}).context["page"].object_list) == [small, large]
    assert list(c.get(URL, {"sort": "date"}).context["page"].object_list) == [small, large]


def test_it_paginates_and_keeps_the_filters_in_page_links(tenants, client_for):
    for _ in range(55):
        make_invoice(tenants.a1, buyer_name="批量买家")
    c = client_for(tenants.clerk_a1)
    r = c.get(URL, {"q": "批量"})
    assert len(r.context["page"].object_list) == 50
    assert "?q=%E6%89%B9%E9%87%8F&page=2" in r.content.decode()
    r = c.get(URL, {"q": "批量", "page": 2})
    assert len(r.context["page"].object_list) == 5


def test_it_says_so_when_empty(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    assert "还没有发票" in c.get(URL).content.decode()
    make_invoice(tenants.a1)
    assert "没有符合条件的发票" in c.get(URL, {"q": "不存在的买家"}).content.decode()


def test_it_escapes_the_buyer_name(tenants, client_for):
    make_invoice(tenants.a1, buyer_name="<script>alert(1)</script>")
    body = client_for(tenants.clerk_a1).get(URL).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_it_refuses_a_bad_amount_range_in_chinese(tenants, client_for):
    r = client_for(tenants.clerk_a1).get(URL, {"amount_min": "100", "amount_max": "1"})
    assert "最大价税合计不能小于最小价税合计" in r.content.decode()


def test_it_requires_login(client):
    r = client.get(URL)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_it_shows_amounts_as_decimals(tenants, client_for):
    make_invoice(tenants.a1, amount="0.10")
    inv = client_for(tenants.clerk_a1).get(URL).context["page"].object_list[0]
    assert inv.total_with_tax == Decimal("0.11")
