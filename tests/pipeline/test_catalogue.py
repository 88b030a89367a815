"""Catalogue products: the code must be a usable leaf code and the rate one it allows; SKUs feed the API."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from audit.services import Actor
from invoicing.catalogue.services import product_create, product_update
from invoicing.demo import DEMO_PRODUCTS, seed_invoicing_demo
from invoicing.models import Invoice, Product
from tests.pipeline.conftest import run_jobs


def test_a_code_or_rate_that_does_not_fit_is_refused_naming_the_field(shop):
    with pytest.raises(ValidationError) as wrong_rate:
        product_create(company=shop.company, actor=Actor.system(), name="奶酪", tax_code="1030204020000000000",
                       rate=Decimal("0.09"), price=Decimal("10"))
    assert "税率" in wrong_rate.value.message_dict["rate"][0]
    with pytest.raises(ValidationError) as summary:
        product_create(company=shop.company, actor=Actor.system(), name="乳制品", tax_code="1030204000000000000",
                       rate=Decimal("0.13"), price=Decimal("10"))
    assert "汇总项" in summary.value.message_dict["tax_code"][0]
    product = product_create(company=shop.company, actor=Actor.system(), name="奶酪", tax_code="1030204020000000000",
                             rate=Decimal("0.13"), price=Decimal("10"), sku="C1")
    with pytest.raises(ValidationError):
        product_update(product=product, actor=Actor.system(), rate=Decimal("0.06"))
    assert Product.objects.get().rate == Decimal("0.130")


def test_the_demo_catalogue_is_valid_and_usable_by_sku(shop):
    assert seed_invoicing_demo(shop.company) and seed_invoicing_demo(shop.company)
    assert Product.objects.filter(company=shop.company).count() == len(DEMO_PRODUCTS)
    order = {"order_no": "SKU-1", "paid_at": "2025-01-01T10:00:00+08:00",
             "lines": [{"sku": "DM-004", "quantity": "2"}, {"sku": "DM-022", "quantity": "1"}], "total": "70.20"}
    response = shop.api.post("/api/v1/orders", order)
    assert response.status_code == 201, response.text
    run_jobs()
    invoice = Invoice.objects.get()
    assert invoice.status == "issued"
    assert [(line.name, line.rate) for line in invoice.lines.all()] == [("红富士苹果", Decimal("0.090")),
                                                                          ("堂食餐饮", Decimal("0.060"))]
