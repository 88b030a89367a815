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
def test_the_invoice_page_shows_100_not_1e2(client, tenants):
    """Regression: the detail page used Decimal.normalize, which prints 100 as 1E+2."""
    from invoicing.models import InvoiceLine
    from tests.web.conftest import make_invoice

    invoice = make_invoice(tenants.a1)
    InvoiceLine.objects.filter(invoice=invoice).update(quantity=Decimal("100"), unit_price=Decimal("1.13"))
    client.force_login(tenants.clerk_a1)
    body = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "1E+2" not in body and ">100<" in body
