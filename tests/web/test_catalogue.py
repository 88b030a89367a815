from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from invoicing.models import Product
from tests.web.conftest import CHEESE, make_product

LIST = reverse("invoicing:product_list")
CREATE = reverse("invoicing:product_create")
SUGGEST = reverse("invoicing:taxcode_suggest")
pytestmark = pytest.mark.django_db


def product_data(**overrides):
    data = {"name": "马苏里拉奶酪", "sku": "CH-1", "tax_code": CHEESE, "rate": "0.13", "price": "56.50",
            "price_includes_tax": "on", "unit": "盒", "spec": "", "active": "on"}
    data.update(overrides)
    return data


def test_it_lists_the_company_catalogue_only(tenants, client_for):
    make_product(tenants.a, name="甲的奶酪")
    make_product(tenants.b, name="乙的奶酪")
    body = client_for(tenants.clerk_a1).get(LIST).content.decode()
    assert "甲的奶酪" in body and "乙的奶酪" not in body
    assert CREATE not in body  # a clerk may not manage the catalogue


def test_it_searches_by_name_or_code(tenants, client_for):
    make_product(tenants.a, name="马苏里拉奶酪", sku="CHEESE-9")
    make_product(tenants.a, name="白萝卜", sku="VEG-1")
    c = client_for(tenants.clerk_a1)
    assert [p.name for p in c.get(LIST, {"q": "VEG"}).context["page"].object_list] == ["白萝卜"]
    assert [p.name for p in c.get(LIST, {"q": "奶酪"}).context["page"].object_list] == ["马苏里拉奶酪"]
    assert "没有符合条件的商品" in c.get(LIST, {"q": "不存在"}).content.decode()


def test_empty_catalogue(tenants, client_for):
    assert "商品目录还是空的" in client_for(tenants.manager_a1).get(LIST).content.decode()


def test_a_manager_creates_a_product_and_it_is_audited(tenants, client_for):
    r = client_for(tenants.manager_a1).post(CREATE, product_data())
    assert r.status_code == 302
    product = Product.objects.get()
    assert product.company == tenants.a and product.rate == Decimal("0.13") and product.price_includes_tax
    assert AuditEvent.objects.filter(action="product.create", object_id=str(product.pk)).exists()


def test_a_wrong_rate_for_the_code_is_shown_inline_in_chinese(tenants, client_for):
    r = client_for(tenants.hq_admin).post(CREATE, product_data(rate="0.06"))
    assert r.status_code == 200
    assert "不适用于税收分类编码" in " ".join(r.context["form"].errors["rate"])
    assert not Product.objects.exists()


def test_clerks_and_finance_may_not_manage(tenants, client_for):
    product = make_product(tenants.a)
    for user in (tenants.clerk_a1, tenants.hq_finance):
        c = Client()
        c.force_login(user)
        assert c.get(CREATE).status_code == 404
        assert c.post(reverse("invoicing:product_edit", args=[product.pk]), product_data(name="改")).status_code == 404
    product.refresh_from_db()
    assert product.name == "马苏里拉奶酪"


def test_another_companys_product_is_404(tenants, client_for):
    product = make_product(tenants.b)
    assert client_for(tenants.hq_admin).get(reverse("invoicing:product_edit", args=[product.pk])).status_code == 404


def test_a_manager_edits_a_product(tenants, client_for):
    product = make_product(tenants.a, sku="X1")
    r = client_for(tenants.manager_a1).post(reverse("invoicing:product_edit", args=[product.pk]),
                                            product_data(name="新名称", sku="X1", price="60"))
    assert r.status_code == 302
    product.refresh_from_db()
    assert product.name == "新名称" and product.price == Decimal("60")


def test_a_duplicate_sku_is_refused(tenants, client_for):
    make_product(tenants.a, sku="DUP")
    r = client_for(tenants.manager_a1).post(CREATE, product_data(sku="DUP"))
    assert "已被本公司其他商品使用" in r.content.decode()


def test_create_enforces_csrf(tenants):
    c = Client(enforce_csrf_checks=True)
    c.force_login(tenants.manager_a1)
    assert c.post(CREATE, product_data()).status_code == 403


def test_the_list_escapes_names(tenants, client_for):
    make_product(tenants.a, name="<script>p</script>")
    body = client_for(tenants.clerk_a1).get(LIST).content.decode()
    assert "<script>p</script>" not in body and "&lt;script&gt;p&lt;/script&gt;" in body


def test_tax_code_suggestions(tenants, client_for):
    data = client_for(tenants.manager_a1).get(SUGGEST, {"name": "红富士苹果"}).json()
    assert 1 <= len(data["results"]) <= 3
    first = data["results"][0]
    assert set(first) >= {"code", "name", "short_name", "rates", "rates_display", "score", "reason"}
    assert len(first["code"]) == 19 and first["reason"]
    assert client_for(tenants.hq_finance).get(SUGGEST, {"name": "苹果"}).status_code == 404


def test_a_saved_product_teaches_the_matcher_for_that_company_only(tenants, client_for):
    from invoicing.taxcodes.matcher import suggest

    r = client_for(tenants.manager_a1).post(CREATE, product_data(name="水牛马苏里拉"))
    assert r.status_code == 302
    assert suggest("水牛马苏里拉", company=tenants.a)[0].code == CHEESE
    assert suggest("水牛马苏里拉", company=tenants.a)[0].source == "memory"
    assert all(s.source != "memory" for s in suggest("水牛马苏里拉", company=tenants.b))
