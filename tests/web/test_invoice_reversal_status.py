"""部分红冲 / 已全额红冲: a blue invoice with issued red invoices no longer reads 已开具 (issue 14 item 9)."""

import csv
import io

import pytest
from django.urls import reverse

from invoicing.models import Invoice
from tests.web.conftest import make_invoice

pytestmark = pytest.mark.django_db

LIST = reverse("invoicing:invoice_list")


@pytest.fixture
def three_blues(tenants):
    """One untouched, one partly reversed (and a red still pending), one fully reversed in two reds."""
    plain = make_invoice(tenants.a1, buyer_name="未红冲客户", amount="100.00")
    partly = make_invoice(tenants.a1, buyer_name="部分客户", amount="100.00")
    make_invoice(tenants.a1, kind=Invoice.Kind.RED, blue_invoice=partly, amount="-40.00", buyer_name="部分客户")
    make_invoice(tenants.a1, kind=Invoice.Kind.RED, blue_invoice=partly, amount="-60.00", buyer_name="部分客户",
                 status=Invoice.Status.PENDING)  # not issued yet: does not count
    fully = make_invoice(tenants.a1, buyer_name="全额客户", amount="100.00")
    make_invoice(tenants.a1, kind=Invoice.Kind.RED, blue_invoice=fully, amount="-30.00", buyer_name="全额客户")
    make_invoice(tenants.a1, kind=Invoice.Kind.RED, blue_invoice=fully, amount="-70.00", buyer_name="全额客户")
    return plain, partly, fully


def _badge(body: str, invoice) -> str:
    row = body.split(reverse("invoicing:invoice_detail", args=[invoice.pk]))[1].split("</tr>")[0]
    return row.split('<span class="badge ')[-1].split("</span>")[0]


def test_it_shows_partly_and_fully_reversed_in_the_list(tenants, client_for, three_blues):
    plain, partly, fully = three_blues
    body = client_for(tenants.clerk_a1).get(LIST).content.decode()
    assert _badge(body, plain).endswith(">已开具")
    assert _badge(body, partly) == 'partly_reversed">部分红冲'
    assert _badge(body, fully) == 'reversed">已全额红冲'


def test_it_shows_the_state_on_the_detail_page(tenants, client_for, three_blues):
    _plain, partly, fully = three_blues
    c = client_for(tenants.manager_a1)
    head = c.get(reverse("invoicing:invoice_detail", args=[partly.pk])).content.decode().split('id="invoice-status"')[1]
    assert "部分红冲" in head.split("</p>")[0]
    body = c.get(reverse("invoicing:invoice_detail", args=[fully.pk])).content.decode()
    assert "已全额红冲" in body.split('id="invoice-status"')[1].split("</p>")[0]
    # Nothing is left to reverse: no 红冲 button that can only be refused.
    assert reverse("invoicing:invoice_reverse", args=[fully.pk]) not in body


@pytest.mark.parametrize(("status", "buyers"), [
    ("partly_reversed", ["部分客户"]),
    ("reversed", ["全额客户"]),
    ("issued", ["全额客户", "全额客户", "未红冲客户", "部分客户"]),  # the reds themselves are 已开具
])
def test_it_filters_by_reversal_state(tenants, client_for, three_blues, status, buyers):
    rows = _csv(client_for(tenants.clerk_a1).get(reverse("invoicing:invoice_export"), {"status": status}))
    assert sorted(row[7] for row in rows[1:]) == sorted(buyers)
    assert client_for(tenants.clerk_a1).get(LIST, {"status": status}).status_code == 200


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_export_writes_the_reversal_state(tenants, client_for, three_blues):
    rows = _csv(client_for(tenants.clerk_a1).get(reverse("invoicing:invoice_export")))
    by_buyer = {(row[7], row[6]): row[4] for row in rows[1:] if row[6] == "蓝字发票"}
    assert by_buyer == {("未红冲客户", "蓝字发票"): "已开具", ("部分客户", "蓝字发票"): "部分红冲",
                        ("全额客户", "蓝字发票"): "已全额红冲"}
