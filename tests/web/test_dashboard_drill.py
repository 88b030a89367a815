"""Each dashboard figure links to the invoice list filtered to exactly the invoices behind it.

The day figures are written the way the pipeline writes them (record_transitions), then each
link is followed and the list's totals row must repeat the figure.
"""

import itertools
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.services import Actor
from invoicing.issuing.transitions import begin, record_transitions
from invoicing.models import Invoice, InvoiceLine
from tests.web.conftest import VEGETABLE, make_invoice

URL = reverse("invoicing:dashboard")
pytestmark = pytest.mark.django_db
S = Invoice.Status
_numbers = itertools.count(1)


def _move(invoice, to, **fields):
    t = begin(invoice)
    invoice.status = to
    for name, value in fields.items():
        setattr(invoice, name, value)
    record_transitions([t], actor=Actor.job("test"), action=f"invoice.{to}", update_fields=["status", *fields])


def issued(store, *, days_ago=0, amount="100.00", rate="0.13", kind=Invoice.Kind.BLUE, blue=None):
    invoice = make_invoice(store, status=S.PENDING, amount=amount, rate=rate, kind=kind, blue_invoice=blue)
    _move(invoice, S.UPLOADING)
    when = timezone.now() - timedelta(days=days_ago)
    _move(invoice, S.ISSUED, number=f"2632000000{next(_numbers):010d}", issued_at=when, confirmed_at=when)
    return invoice


def failed(store, *, code="platform_refused", days_ago=0):
    invoice = make_invoice(store, status=S.PENDING)
    _move(invoice, S.FAILED, failure_code=code, failure_message="平台拒绝：测试")
    if days_ago:
        invoice.events.filter(status_to=S.FAILED).update(created_at=timezone.now() - timedelta(days=days_ago))
    return invoice


def _follow(client, href: str):
    r = client.get(unescape(href))
    assert r.status_code == 200
    return r.context["totals"]


def _links(body: str) -> dict[str, str]:
    return {name: href for href, name in re.findall(r'<a href="([^"]+)" data-drill="([a-z-]+)"', body)}


@pytest.fixture
def board(tenants, client_for):
    """Store A1: two blue invoices today, one 3 days ago, one 40 days ago (outside the 30 days);
    a red one against today's; two failures (one refused, one quota); store A2: one invoice and
    one waiting in the backlog; company B: one invoice that must never count."""
    a1_today = issued(tenants.a1, amount="100.00")
    issued(tenants.a1, amount="50.00", rate="0.09")
    issued(tenants.a1, days_ago=3, amount="20.00")
    issued(tenants.a1, days_ago=40, amount="7.00")
    issued(tenants.a1, kind=Invoice.Kind.RED, blue=a1_today, amount="-30.00")
    failed(tenants.a1, code="platform_refused")
    failed(tenants.a1, code="quota", days_ago=2)
    issued(tenants.a2, amount="10.00")
    make_invoice(tenants.a2, status=S.PENDING)
    issued(tenants.b1, amount="999.00")
    c = client_for(tenants.hq_finance)
    r = c.get(URL)
    assert r.status_code == 200
    return c, r


def test_each_headline_figure_equals_the_totals_row_of_its_list(board):
    c, r = board
    totals, links = r.context["board"].totals, _links(r.content.decode())
    # Blue count; amount net of red (A1 113 + 54.50 + 22.60 − 33.90 red, A2 11.30), as the category chart.
    assert totals["today"] == 3 and totals["issued"] == 4 and totals["amount"] == Decimal("167.50")
    today = _follow(c, links["today"])
    assert today["count"] == totals["today"]
    issued_list = _follow(c, links["issued"])
    assert issued_list["count"] == totals["issued"]
    assert _follow(c, links["amount"])["with_tax"] == totals["amount"]
    assert _follow(c, links["failed"])["count"] == totals["failed"] == 2
    assert _follow(c, links["backlog"])["count"] == totals["backlog"] == 1
    assert _follow(c, links["stuck"])["count"] == totals["stuck"] == 0


def test_each_store_row_figure_equals_its_list(board):
    c, r = board
    for row in r.context["board"].rows:
        assert _follow(c, row.links["today"])["count"] == row.issued_today
        assert _follow(c, row.links["month"])["count"] == row.issued_month
        assert _follow(c, row.links["issued"])["count"] == row.issued
        assert _follow(c, row.links["amount"])["with_tax"] == row.amount
        assert _follow(c, row.links["failed"])["count"] == row.failed
        assert _follow(c, row.links["backlog"])["count"] == row.backlog
        assert _follow(c, row.links["stuck"])["count"] == row.stuck


def test_each_failure_reason_equals_its_list(board):
    c, r = board
    failures = r.context["links"]["failures"]
    assert {f["reason"]: f["count"] for f in failures} == {"platform_refused": 1, "quota": 1}
    for item in failures:
        assert _follow(c, item["link"])["count"] == item["count"]


def test_tax_per_rate_nets_red_and_equals_the_rate_lines_of_its_list(board):
    c, r = board
    rates = {row["rate_display"]: row for row in r.context["links"]["rates"]}
    # 13 %: 100 + 20 − 30 (red) plus A2's 10 → 100.00 amount, 13.00 tax; 9 %: 50 → 4.50
    assert (rates["13%"]["amount"], rates["13%"]["tax"]) == (Decimal("100.00"), Decimal("13.00"))
    assert (rates["9%"]["amount"], rates["9%"]["tax"]) == (Decimal("50.00"), Decimal("4.50"))
    for row in rates.values():
        lines = _follow(c, row["link"])["lines"]
        assert (lines["amount"], lines["tax"]) == (row["amount"], row["tax"])
    assert "按税率汇总" in r.content.decode()


def test_a_mixed_rate_invoice_counts_each_rate_line_once(tenants, client_for):
    invoice = issued(tenants.a1, amount="100.00")
    InvoiceLine.objects.create(invoice=invoice, line_no=2, name="胡萝卜", tax_code=VEGETABLE, quantity=Decimal(1),
                               unit_price=Decimal("10.00"), amount=Decimal("10.00"), rate=Decimal("0.09"),
                               tax=Decimal("0.90"))
    c = client_for(tenants.hq_admin)
    rates = {row["rate_display"]: row for row in c.get(URL).context["links"]["rates"]}
    assert rates["9%"]["tax"] == Decimal("0.90") and rates["13%"]["tax"] == Decimal("13.00")
    assert _follow(c, rates["9%"]["link"])["lines"]["tax"] == Decimal("0.90")


def test_this_period_is_compared_with_the_last_of_the_same_length(tenants, client_for):
    issued(tenants.a1, amount="100.00")  # this week
    issued(tenants.a1, amount="100.00", days_ago=1)
    issued(tenants.a1, amount="200.00", days_ago=8)  # the week before
    today = timezone.localdate()
    c = client_for(tenants.hq_admin)
    r = c.get(URL, {"date_from": (today - timedelta(days=6)).isoformat(), "date_to": today.isoformat()})
    board = r.context["board"]
    assert (board.previous_from, board.previous_to) == (today - timedelta(days=13), today - timedelta(days=7))
    assert board.previous["issued"] == 1 and board.totals["issued"] == 2
    assert board.totals["issued_change"] == Decimal("100.0")  # 1 → 2
    assert board.totals["amount_change"] == Decimal("0.0")  # 226 → 226
    assert board.totals["failed_change"] is None  # nothing to compare with
    body = r.content.decode()
    assert "环比 <span class=\"up\">+100.0%</span>" in body and "环比 —" in body
    assert _follow(c, r.context["links"]["previous_issued"])["count"] == 1


def test_the_list_says_which_dashboard_filter_it_shows(board):
    c, r = board
    body = c.get(unescape(_links(r.content.decode())["issued"])).content.decode()
    assert "来自看板：开具日期" in body and 'id="drill-note"' in body
    assert 'type="hidden" name="confirmed_from"' in body


def test_each_category_share_equals_the_matching_lines_of_its_list(board):
    c, r = board
    rows = [row for row in r.context["share"]["rows"] if row["link"]]
    assert rows, "the board's invoices have categories"
    for row in rows:
        lines = _follow(c, row["link"])["lines"]
        assert lines["with_tax"] == row["amount"], row["category"]
    assert 'data-drill="category"' in r.content.decode()
