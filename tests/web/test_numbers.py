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
