from decimal import Decimal

import pytest

from invoicing.templatetags.numbers import plain_number


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("2.0000000000000"), "2"), (Decimal("56.5000000000000"), "56.5"), (Decimal("100.0000000000000"), "100"),
    (Decimal("-1.5"), "-1.5"), (Decimal("0.0000000000000"), "0"), (None, ""), (Decimal("1E+2"), "100"),
])
def test_it_shows_quantities_without_trailing_zeros_or_exponents(value, shown):
    assert plain_number(value) == shown


@pytest.mark.django_db
def test_the_invoice_page_shows_a_round_quantity_plainly(client, tenants):
    """A quantity of 100 stored with 13 decimals shows as 100 (never 1E+2 nor 100.0000000000000)."""
    from invoicing.models import InvoiceLine
    from tests.web.conftest import make_invoice

    invoice = make_invoice(tenants.a1)
    InvoiceLine.objects.filter(invoice=invoice).update(quantity=Decimal("100"), unit_price=Decimal("1.13"))
    client.force_login(tenants.clerk_a1)
    body = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "1E+2" not in body and ">100<" in body


@pytest.mark.django_db
def test_the_reversal_page_shows_quantities_without_the_stored_decimals(client, tenants):
    """Regression: the 红冲 page printed 2.0000000000000 and 50.0000000000000."""
    from tests.web.conftest import make_invoice

    invoice = make_invoice(tenants.a1)
    client.force_login(tenants.manager_a1)
    body = client.get(f"/invoices/{invoice.pk}/reverse/").content.decode()
    assert ".0000000000" not in body


@pytest.mark.django_db
def test_screens_show_significant_digits_percent_rates_and_thousands_separators(client, tenants):
    """Regression (issue 14 item 12): 5.1333333333333 with trailing zeros, rates as 0.090, 9174311925.69."""
    from django.urls import reverse

    from invoicing.models import InvoiceLine
    from tests.web.conftest import VEGETABLE, make_invoice, make_product

    invoice = make_invoice(tenants.a1, amount="9174311925.69", rate="0.09")
    InvoiceLine.objects.filter(invoice=invoice).update(quantity=Decimal("3"), unit_price=Decimal("5.1333333333333"))
    make_product(tenants.a, name="白萝卜", tax_code=VEGETABLE, rate=Decimal("0.090"), price=Decimal("4.3600"))
    client.force_login(tenants.manager_a1)
    detail = client.get(reverse("invoicing:invoice_detail", args=[invoice.pk])).content.decode()
    assert ">5.1333333333333<" in detail and "5.13333333333330" not in detail
    assert ">9,174,311,925.69<" in detail and ">9%<" in detail and "0.090" not in detail
    assert "¥ 9,999,999,999.00" in detail  # 价税合计 9174311925.69 + 825688073.31
    listing = client.get(reverse("invoicing:invoice_list")).content.decode()
    assert ">9,999,999,999.00<" in listing
    client.force_login(tenants.hq_admin)
    catalogue = client.get(reverse("invoicing:product_list")).content.decode()
    assert ">9%<" in catalogue and "0.090" not in catalogue and ">4.36 <" in catalogue


@pytest.mark.django_db
def test_the_csv_keeps_plain_numbers_without_separators(client, tenants):
    """Separators are for screens: the export stays summable."""
    import csv
    import io

    from django.urls import reverse

    from tests.web.conftest import make_invoice

    make_invoice(tenants.a1, amount="9174311925.69", rate="0.09")
    client.force_login(tenants.clerk_a1)
    body = b"".join(client.get(reverse("invoicing:invoice_export")).streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body)))[1][9] == "9174311925.69"
