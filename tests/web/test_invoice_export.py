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


def test_it_writes_amounts_as_numbers_and_red_ones_negative(tenants, client_for):
    """Regression: the red invoice's total came out as '-10.27 (text in Excel, which cannot sum it)."""
    from invoicing.models import Invoice

    blue = make_invoice(tenants.a1, amount="10.00")
    make_invoice(tenants.a1, kind=Invoice.Kind.RED, blue_invoice=blue, amount="-10.00", buyer_name="-减号开头的名字+1")
    rows = _rows(client_for(tenants.clerk_a1).get(URL, {"sort": "amount"}))
    red = rows[1]
    assert red[9:12] == ["-10.00", "-1.30", "-11.30"]
    assert red[7] == "'-减号开头的名字+1"  # text that a spreadsheet would evaluate is still neutralised
    assert rows[2][9:12] == ["10.00", "1.30", "11.30"]


def test_it_names_the_file_in_chinese_like_the_other_exports(tenants, client_for):
    from urllib.parse import unquote

    disposition = client_for(tenants.clerk_a1).get(URL)["Content-Disposition"]
    assert "filename*=utf-8''" in disposition
    assert unquote(disposition.split("filename*=utf-8''")[1]).startswith("发票清单-")
    assert unquote(disposition.split("filename*=utf-8''")[1]).endswith(".csv")
