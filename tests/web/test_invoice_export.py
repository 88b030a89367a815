import csv
import io

import pytest
from django.urls import reverse

from tests.web.conftest import make_invoice

URL = reverse("invoicing:invoice_export")
pytestmark = pytest.mark.django_db


def _rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_it_exports_the_filtered_list_with_a_bom(tenants, client_for):
    make_invoice(tenants.a1, buyer_name="甲客户", amount="10.00")
    make_invoice(tenants.a1, buyer_name="乙客户", amount="20.00")
    make_invoice(tenants.a2, buyer_name="别店客户")
    r = client_for(tenants.clerk_a1).get(URL, {"q": "甲客户"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    rows = _rows(r)
    assert rows[0][0] == "发票号码"
    assert [row[7] for row in rows[1:]] == ["甲客户"]
    assert rows[1][11] == "11.30"


def test_it_exports_hq_all_stores_but_not_other_companies(tenants, client_for):
    make_invoice(tenants.a1)
    make_invoice(tenants.a2)
    make_invoice(tenants.b1)
    rows = _rows(client_for(tenants.hq_finance).get(URL))
    assert sorted(row[2] for row in rows[1:]) == ["A1", "A2"]


def test_it_keeps_spreadsheet_formulas_as_text(tenants, client_for):
    make_invoice(tenants.a1, buyer_name='=HYPERLINK("http://evil")')
    rows = _rows(client_for(tenants.clerk_a1).get(URL))
    assert rows[1][7] == "'=HYPERLINK(\"http://evil\")"


def test_it_requires_login(client):
    assert client.get(URL).status_code == 302
