"""Forms whose rows carry a natural unique key (a store's code, a product's SKU): simultaneous
submissions make one row, and the others get the form back with a Chinese message, never a 5xx."""

import pytest
from django.urls import reverse

from invoicing.models import Product
from stores.models import Store
from tests.concurrent import post_at_once
from tests.web.conftest import CHEESE

pytestmark = pytest.mark.django_db(transaction=True)


def _no_5xx(responses) -> None:
    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]


def test_four_simultaneous_new_store_submissions_make_one_store(tenants):
    data = {"code": "A9", "name": "甲九店", "address": "", "is_active": "on", "rollout_percent": "0",
            "manager_email": "", "alert_failure_rate": "5", "alert_backlog": "50"}
    responses = post_at_once(tenants.hq_admin, reverse("settings:store_create"), data, n=4)
    _no_5xx(responses)
    assert Store.objects.filter(company=tenants.a, code="A9").count() == 1
    refused = [r.content.decode() for r in responses if r.status_code == 200]
    assert all("门店编码 A9 已被本公司其他门店使用，请换一个编码" in page for page in refused), refused


def test_four_simultaneous_new_product_submissions_make_one_product(tenants):
    data = {"name": "马苏里拉奶酪", "sku": "SKU-DOUBLE", "tax_code": CHEESE, "rate": "0.13", "price": "56.50",
            "price_includes_tax": "on", "unit": "盒", "spec": "", "active": "on"}
    responses = post_at_once(tenants.hq_admin, reverse("invoicing:product_create"), data, n=4)
    _no_5xx(responses)
    assert Product.objects.filter(company=tenants.a, sku="SKU-DOUBLE").count() == 1
    refused = [r.content.decode() for r in responses if r.status_code == 200]
    assert all("商品编码 SKU-DOUBLE 已被本公司其他商品使用" in page for page in refused), refused
