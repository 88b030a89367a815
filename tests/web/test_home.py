"""Issue 14 item 17: the home page per role — today's figures and a to-do list with counts and links,
scoped like every other screen (another store's rows are not counted)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.models import Invoice, InvoiceLine, RedLetterForm
from tests.web.conftest import make_invoice

pytestmark = pytest.mark.django_db


def todo(html: str) -> dict[str, tuple[int, str]]:
    """{key: (count, link)} of the to-do list as rendered."""
    return {key: (int(count), href) for key, href, count in re.findall(
        r'<li data-todo="(\w+)"><a href="([^"]+)"><strong class="count">(\d+)</strong>', html)}


def red_form(store, *, blue=None, **values) -> RedLetterForm:
    blue = blue or make_invoice(store)
    return RedLetterForm.objects.create(company=store.company, store=store, blue_invoice=blue, reason="01",
                                        amount=-blue.total_amount, tax=-blue.total_tax, is_full=True, **values)


def a_busy_store(store):
    make_invoice(store, status=Invoice.Status.DRAFT)
    uncoded = make_invoice(store, status=Invoice.Status.DRAFT)
    InvoiceLine.objects.filter(invoice=uncoded).update(tax_code="", rate=None, tax=None)
    make_invoice(store, status=Invoice.Status.FAILED, failure_message="购方税号校验位错误")
    red_form(store, approval=RedLetterForm.Approval.PENDING)
    red_form(store, state=RedLetterForm.State.AWAITING_SELLER, initiated_by=RedLetterForm.InitiatedBy.BUYER,
             expires_at=timezone.now() + timedelta(hours=5))


def test_it_shows_an_empty_state_when_nothing_waits(client_for, tenants):
    html = client_for(tenants.clerk_a1).get("/").content.decode()
    assert todo(html) == {}
    assert 'id="todo-empty"' in html and "暂无待办事项" in html
    assert '<strong id="today-issued">0</strong>' in html


def test_a_clerk_sees_their_stores_work_with_links(client_for, tenants):
    a_busy_store(tenants.a1)
    a_busy_store(tenants.a2)  # another store of the company: not the clerk's
    a_busy_store(tenants.b1)
    html = client_for(tenants.clerk_a1).get("/").content.decode()
    assert todo(html) == {
        "drafts": (2, "/invoices/?status=draft"),
        "awaiting_code": (1, "/invoices/?coding=awaiting"),
        "failed": (1, "/invoices/?status=failed"),
        "expiring": (1, "/red-letter/forms/?pending=on"),
    }
    assert "红冲申请待审批" not in html  # a clerk does not approve
    assert 'id="todo-empty"' not in html


def test_a_manager_sees_approvals_and_forms_to_confirm(client_for, tenants):
    a_busy_store(tenants.a1)
    a_busy_store(tenants.a2)
    html = client_for(tenants.manager_a1).get("/").content.decode()
    items = todo(html)
    assert items["approve"] == (1, "/red-letter/forms/?approval=pending")
    assert items["confirm"] == (1, "/red-letter/forms/?state=03")
    assert items["drafts"][0] == 2


def test_hq_counts_every_store_of_its_company_only(client_for, tenants):
    a_busy_store(tenants.a1)
    a_busy_store(tenants.a2)
    a_busy_store(tenants.b1)
    items = todo(client_for(tenants.hq_admin).get("/").content.decode())
    assert (items["drafts"][0], items["failed"][0], items["approve"][0], items["confirm"][0]) == (4, 2, 2, 2)
    finance = todo(client_for(tenants.hq_finance).get("/").content.decode())
    assert "drafts" not in finance and finance["failed"][0] == 2  # HQ finance does not issue


def test_the_links_lead_to_exactly_those_rows(client_for, tenants):
    a_busy_store(tenants.a1)
    client = client_for(tenants.manager_a1)
    items = todo(client.get("/").content.decode())
    pending = client.get(items["approve"][1])
    assert len(pending.context["page"].object_list) == 1
    assert pending.context["page"].object_list[0].approval == "pending"
    to_confirm = client.get(items["confirm"][1]).context["page"].object_list
    assert [f.state for f in to_confirm] == ["03"]
    drafts = client.get(items["drafts"][1]).context["page"].object_list
    assert len(drafts) == 2 and {i.status for i in drafts} == {"draft"}
    assert len(client.get(items["awaiting_code"][1]).context["page"].object_list) == 1


def test_todays_figures_count_today_only_and_amounts_are_for_managers(client_for, tenants):
    make_invoice(tenants.a1, amount="100.00")  # 113.00 with tax
    make_invoice(tenants.a1, amount="200.00")  # 226.00
    make_invoice(tenants.a1, amount="50.00", issued_at=timezone.now() - timedelta(days=2))
    make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    make_invoice(tenants.a2, amount="999.00")
    html = client_for(tenants.manager_a1).get("/").content.decode()
    assert '<strong id="today-issued">2</strong>' in html
    assert '<span id="today-issued-total">339.00</span>' in html
    assert '<strong id="today-in-progress">1</strong>' in html
    clerk = client_for(tenants.clerk_a1).get("/").content.decode()
    assert '<strong id="today-issued">2</strong>' in clerk and "today-issued-total" not in clerk
    assert Decimal("339.00") == Decimal("113.00") + Decimal("226.00")
