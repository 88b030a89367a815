"""Tax codes and rates kept current from the platform (CXSSFLBM), and used by every validation."""

from django.core.cache import cache

from invoicing.models import Order, TaxCode
from invoicing.taxcodes.jobs import WATERMARK_KEY, tax_codes_sync
from tests.pipeline.conftest import CHEESE, an_order


def test_the_sync_restores_codes_from_the_platform_and_keeps_a_watermark(shop):
    TaxCode.objects.filter(code=CHEESE).update(rates=["0.06"], name="过时的名称")
    totals = tax_codes_sync()
    cheese = TaxCode.objects.get(code=CHEESE)
    assert "0.13" in cheese.rates and cheese.name != "过时的名称"
    assert totals["updated"] >= 1 and totals["skipped"] == 0 and totals["pages"] >= 4
    assert cache.get(WATERMARK_KEY) is not None
    again = tax_codes_sync()  # since the watermark: nothing changed on the platform
    assert again["created"] == again["updated"] == 0


def test_the_api_validates_against_the_codes_as_the_database_has_them(shop):
    # As if the platform had withdrawn 13 % for this code: the next order is refused locally,
    # with the field named, before anything is stored.
    TaxCode.objects.filter(code=CHEESE).update(rates=["0.09"])
    response = shop.api.post("/api/v1/orders", an_order("SYNC-1"))
    assert response.status_code == 422, response.text
    assert "lines[0]" in response.text and "税率" in response.text
    assert not Order.objects.filter(order_no="SYNC-1").exists()
