"""Item 1 of issue 13: every screen that lists invoices survives a bad row — values written past the
application (a migration, a manual UPDATE, an old bug) that the templates cannot format."""

import pytest
from django.db import connection
from django.urls import reverse

from tests.web.conftest import make_invoice

pytestmark = pytest.mark.django_db

SCREENS = [
    reverse("invoicing:invoice_list"),
    reverse("invoicing:invoice_list") + "?status=failed",
    reverse("invoicing:invoice_list") + "?sort=-total",
    reverse("invoicing:invoice_export"),
    reverse("invoicing:dashboard"),
]

BAD = {
    "nan_total": "UPDATE invoicing_invoice SET total_with_tax = 'NaN', total_amount = 'NaN' WHERE id = %s",
    "unknown_status": "UPDATE invoicing_invoice SET status = 'zombie' WHERE id = %s",
    "unknown_failure": "UPDATE invoicing_invoice SET status = 'failed', failure_code = 'gremlins' WHERE id = %s",
    "seller_not_an_object": "UPDATE invoicing_invoice SET seller = '[1, 2]'::jsonb WHERE id = %s",
    "created_in_bc": "UPDATE invoicing_invoice SET created_at = '0001-01-01 00:00:00+00 BC' WHERE id = %s",
    "order_paid_in_bc": "UPDATE invoicing_order SET paid_at = '0001-12-31 10:00:00+00 BC' "
                        "WHERE id = (SELECT order_id FROM invoicing_invoice WHERE id = %s)",
}


@pytest.mark.parametrize("bad", list(BAD))
def test_every_invoice_list_survives_a_bad_row(tenants, client_for, bad):
    good = make_invoice(tenants.a1, buyer_name="好行有限公司", order_no="GOOD-1")
    broken = make_invoice(tenants.a1, buyer_name="坏行有限公司", order_no="BAD-1")
    with connection.cursor() as cursor:
        cursor.execute(BAD[bad], [broken.pk])
    for user in (tenants.hq_finance, tenants.manager_a1):
        client = client_for(user)
        for url in SCREENS:
            response = client.get(url)
            assert response.status_code in (200, 404), (user, url, response.status_code)
            if response.status_code == 200 and url.startswith("/invoices/") and "export" not in url \
                    and "status=failed" not in url:
                assert good.buyer_name in response.content.decode(), (user, url)
    detail = client_for(tenants.hq_finance).get(reverse("invoicing:invoice_detail", args=[good.pk]))
    assert detail.status_code == 200
