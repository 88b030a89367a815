"""Order lines without a tax code (issue 8 §2): the waiting invoice's page, a person's choice, memory."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Actor
from invoicing.api.parse import parse_order
from invoicing.models import Invoice, InvoiceLine, Order, TaxCodeMatchMemory
from invoicing.orders.services import order_receive_many
from invoicing.taxcodes import coding
from invoicing.taxcodes.coding import AutoCoder
from tests.web.conftest import CHEESE

pytestmark = pytest.mark.django_db(databases="__all__")

NAME = "手工芝士蛋糕礼盒"  # not in the company's memory: the table alone is not sure enough


def receive(store, order_no: str, lines: list[dict], total: str) -> Order:
    """An order as the API receives it (parse with the company's AutoCoder, then store)."""
    order = {"order_no": order_no, "paid_at": "2025-01-01T10:00:00+08:00", "lines": lines, "total": total}
    parsed = parse_order(order, coder=AutoCoder(store.company))
    assert not isinstance(parsed, list), parsed
    [outcome] = order_receive_many(store=store, parsed_orders=[parsed], actor=Actor.system())
    return outcome.order


def waiting_invoice(tenants, order_no="W-1", *, rate=None) -> Invoice:
    tenants.a.auto_code_threshold = Decimal("1.00")  # only a remembered name passes
    tenants.a.save(update_fields=["auto_code_threshold"])
    line = {"name": NAME, "quantity": "2", "unit_price": "56.50"}
    if rate:
        line["rate"] = rate
    order = receive(tenants.a1, order_no, [line], "113.00")
    return order.invoices.get()


def strict_client(user) -> Client:
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    return c


def post_with_token(c: Client, page: str, target: str, data: dict):
    c.get(page)
    return c.post(target, {**data, "csrfmiddlewaretoken": c.cookies["csrftoken"].value})


def detail(invoice) -> str:
    return reverse("invoicing:invoice_detail", args=[invoice.pk])


def choose_url(invoice, line_no=1) -> str:
    return reverse("invoicing:invoice_line_code", args=[invoice.pk, line_no])


def test_a_waiting_line_is_stored_without_code_or_rate_and_its_total_with_tax(tenants):
    invoice = waiting_invoice(tenants)
    line = invoice.lines.get()
    assert invoice.status == Invoice.Status.DRAFT and invoice.order.status == Order.Status.AWAITING_REVIEW
    assert (line.tax_code, line.rate, line.tax, line.amount) == ("", None, None, Decimal("113.00"))
    assert (invoice.total_amount, invoice.total_tax, invoice.total_with_tax) == (
        Decimal("113.00"),
        Decimal("0.00"),
        Decimal("113.00"),
    )
    [stored] = invoice.order.lines
    assert stored["tax_code_status"] == "needs_review" and stored["rate_given"] is False
    assert 1 <= len(stored["tax_code_suggestions"]) <= 3
    assert {"code", "name", "short_name", "rates", "confidence", "reason"} <= set(stored["tax_code_suggestions"][0])
    message = invoice.events.get().message
    assert (
        f"第1行“{NAME}”未能自动赋码" in message and "低于阈值 1.00" in message and "等待人工选择税收分类编码" in message
    )


def test_the_page_shows_the_banner_and_the_top_three_suggestions(tenants, client_for):
    invoice = waiting_invoice(tenants)
    suggestions = invoice.order.lines[0]["tax_code_suggestions"]
    body = client_for(tenants.clerk_a1).get(detail(invoice)).content.decode()
    assert "待人工赋码" in body and choose_url(invoice) in body and 'name="csrfmiddlewaretoken"' in body
    for s in suggestions:
        assert s["code"] in body and s["name"] in body and f"{round(s['confidence'] * 100)}%" in body
    assert suggestions[0]["reason"].replace("“", "").split("”")[0][:4] in body.replace("“", "")
    # The edit form cannot show a line whose rate is unknown: the page offers the coding form instead.
    assert reverse("invoicing:invoice_edit", args=[invoice.pk]) not in body


def test_choosing_a_code_recomputes_the_tax_remembers_it_and_the_next_order_is_automatic(tenants):
    invoice = waiting_invoice(tenants)
    c = strict_client(tenants.clerk_a1)
    r = post_with_token(c, detail(invoice), choose_url(invoice), {"tax_code": CHEESE, "rate": "0.13"})
    assert r.status_code == 302
    line = InvoiceLine.objects.get(invoice=invoice)
    assert (line.tax_code, line.rate, line.amount, line.tax) == (
        CHEESE,
        Decimal("0.130"),
        Decimal("100.00"),
        Decimal("13.00"),
    )
    assert line.unit_price == Decimal("50")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.total_amount, invoice.total_tax, invoice.total_with_tax) == (
        Invoice.Status.DRAFT,
        Decimal("100.00"),
        Decimal("13.00"),
        Decimal("113.00"),
    )
    stored = Order.objects.get(pk=invoice.order_id).lines[0]
    assert (stored["tax_code"], stored["rate"], stored["tax"], stored["tax_code_status"]) == (
        CHEESE,
        "0.13",
        "13.00",
        "chosen",
    )
    assert TaxCodeMatchMemory.objects.get(company=tenants.a).code_id == CHEESE
    audit = AuditEvent.objects.get(action="invoice.line_code")
    assert audit.object_id == str(invoice.pk) and audit.after["tax_code"] == CHEESE
    assert "全部明细已赋码" in invoice.events.order_by("-id").first().message

    # The same name again (the threshold still 1.00): the remembered code wins, automatically.
    order = receive(
        tenants.a1, "W-2", [{"name": NAME, "rate": "0.13", "quantity": "1", "unit_price": "56.50"}], "56.50"
    )
    assert order.status == Order.Status.INVOICING
    assert order.lines[0]["tax_code_status"] == "auto" and order.lines[0]["tax_code_match"] == "memory"
    assert order.invoices.get().status == Invoice.Status.PENDING
    assert order.invoices.get().lines.get().tax_code == CHEESE


def test_a_code_with_several_rates_needs_a_rate_and_a_summary_code_is_refused(tenants, client_for):
    invoice = waiting_invoice(tenants)
    c = client_for(tenants.clerk_a1)
    r = c.post(choose_url(invoice), {"tax_code": CHEESE}, follow=True)
    assert "有多个可选税率" in r.content.decode()
    r = c.post(choose_url(invoice), {"tax_code_other": "1030204000000000000", "rate": "0.13"}, follow=True)
    assert "汇总项" in r.content.decode()
    r = c.post(choose_url(invoice), {"tax_code": CHEESE, "rate": "0.06"}, follow=True)
    assert "不适用于税收分类编码" in r.content.decode()
    r = c.post(choose_url(invoice), {"tax_code": CHEESE, "rate": "13%"}, follow=True)
    assert "税率格式不正确" in r.content.decode()
    line = invoice.lines.get()
    assert (line.tax_code, line.rate) == ("", None)
    assert not TaxCodeMatchMemory.objects.exists()
    assert not AuditEvent.objects.filter(action="invoice.line_code").exists()


def test_the_shops_rate_binds_a_typed_code(tenants, client_for):
    invoice = waiting_invoice(tenants, rate="0.13")
    line = invoice.lines.get()
    assert (line.rate, line.amount, line.tax) == (Decimal("0.130"), Decimal("100.00"), Decimal("13.00"))
    c = client_for(tenants.clerk_a1)
    r = c.post(choose_url(invoice), {"tax_code": "", "tax_code_other": CHEESE}, follow=True)
    assert "已选择税收分类编码" in r.content.decode()
    line.refresh_from_db()
    assert (line.tax_code, line.rate, line.amount, line.tax) == (
        CHEESE,
        Decimal("0.130"),
        Decimal("100.00"),
        Decimal("13.00"),
    )


def test_submitting_is_refused_while_a_line_has_no_code(tenants, client_for):
    invoice = waiting_invoice(tenants)
    r = client_for(tenants.clerk_a1).post(reverse("invoicing:invoice_submit", args=[invoice.pk]), follow=True)
    assert "第1行尚未选择税收分类编码" in r.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT
    assert reverse("invoicing:invoice_edit", args=[invoice.pk]) not in r.content.decode()


def test_another_stores_clerk_gets_404_and_nothing_changes(tenants, client_for):
    invoice = waiting_invoice(tenants)
    for user in (tenants.clerk_a2, tenants.clerk_b1, tenants.hq_admin_b):
        c = client_for(user)
        assert c.get(detail(invoice)).status_code == 404
        assert c.post(choose_url(invoice), {"tax_code": CHEESE, "rate": "0.13"}).status_code == 404
    assert invoice.lines.get().tax_code == ""
    assert not TaxCodeMatchMemory.objects.exists()


def test_a_role_that_may_not_issue_cannot_choose(tenants, client_for):
    invoice = waiting_invoice(tenants)
    c = client_for(tenants.hq_finance)
    assert c.post(choose_url(invoice), {"tax_code": CHEESE, "rate": "0.13"}).status_code in (403, 404)
    assert invoice.lines.get().tax_code == ""


def test_choosing_needs_csrf(tenants):
    invoice = waiting_invoice(tenants)
    c = strict_client(tenants.clerk_a1)
    assert c.post(choose_url(invoice), {"tax_code": CHEESE, "rate": "0.13"}).status_code == 403
    assert invoice.lines.get().tax_code == ""


def test_the_list_counts_and_filters_invoices_waiting_for_a_code(tenants, client_for):
    from tests.web.conftest import make_invoice

    waiting = waiting_invoice(tenants)
    other_draft = make_invoice(tenants.a1, status=Invoice.Status.DRAFT)
    c = client_for(tenants.clerk_a1)
    body = c.get(reverse("invoicing:invoice_list")).content.decode()
    assert "1张发票待人工赋码" in body and "?coding=awaiting" in body
    body = c.get(reverse("invoicing:invoice_list") + "?coding=awaiting").content.decode()
    assert detail(waiting) in body and detail(other_draft) not in body
    assert (
        "张发票待人工赋码" not in client_for(tenants.clerk_a2).get(reverse("invoicing:invoice_list")).content.decode()
    )


def test_the_matcher_runs_once_per_distinct_name_in_a_batch(tenants, monkeypatch):
    calls = []
    real = coding.matcher.suggest

    def counting(name, company=None, k=3, **kw):
        calls.append(name)
        return real(name, company, k, **kw)

    monkeypatch.setattr(coding.matcher, "suggest", counting)
    coder = AutoCoder(tenants.a)
    for n in range(20):
        lines = [
            {"name": NAME, "rate": "0.13", "amount": "11.30"},
            {"name": "洗发水", "rate": "0.13", "amount": "11.30"},
        ]
        order = {"order_no": f"B-{n}", "paid_at": "2025-01-01T10:00:00+08:00", "lines": lines, "total": "22.60"}
        assert not isinstance(parse_order(order, coder=coder), list)
    assert sorted(calls) == sorted([NAME, "洗发水"])


def test_a_partial_refund_keeps_a_waiting_line_waiting(tenants):
    from invoicing.api.parse import parse_refund
    from invoicing.orders.refunds import refund_receive

    invoice = waiting_invoice(tenants)
    parsed = parse_refund(
        {
            "refund_id": "R-1",
            "order_no": "W-1",
            "refunded_at": "2025-01-02T10:00:00+08:00",
            "amount": "56.50",
            "lines": [{"line_no": 1, "quantity": "1", "amount": "56.50"}],
        }
    )
    refund_receive(store=tenants.a1, parsed=parsed, actor=Actor.system())
    invoice.refresh_from_db()
    line = invoice.lines.get()
    assert (line.tax_code, line.rate, line.tax, line.amount) == ("", None, None, Decimal("56.50"))
    assert invoice.status == Invoice.Status.DRAFT and invoice.total_with_tax == Decimal("56.50")


def test_submitting_a_draft_remembers_the_codes_the_matcher_chose(tenants, client_for):
    tenants.a1.rollout_percent = 0  # a draft for a person, though the line is coded
    tenants.a1.save(update_fields=["rollout_percent"])
    tenants.a.auto_code_threshold = Decimal("0.00")
    tenants.a.save(update_fields=["auto_code_threshold"])
    order = receive(tenants.a1, "S-1", [{"name": "香薰蜡烛", "rate": "0.13", "amount": "11.30"}], "11.30")
    assert order.lines[0]["tax_code_status"] == "auto" and order.lines[0]["tax_code_match"] != "memory"
    invoice = order.invoices.get()
    assert invoice.status == Invoice.Status.DRAFT
    assert not TaxCodeMatchMemory.objects.exists()  # nothing written on intake
    client_for(tenants.clerk_a1).post(reverse("invoicing:invoice_submit", args=[invoice.pk]))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PENDING
    memory = TaxCodeMatchMemory.objects.get(company=tenants.a)
    assert memory.code_id == order.lines[0]["tax_code"]
    assert "已记住第1行的税收分类编码" in invoice.events.order_by("-id").first().message


def test_the_rate_is_remembered_with_the_code_so_a_line_without_a_rate_is_coded_too(tenants):
    """Every code allows several rates: without the remembered rate, no rate-less line could ever be coded."""
    invoice = waiting_invoice(tenants)
    c = strict_client(tenants.clerk_a1)
    r = post_with_token(c, detail(invoice), choose_url(invoice), {"tax_code": CHEESE, "rate": "0.13"})
    assert r.status_code == 302
    memory = TaxCodeMatchMemory.objects.get(company=tenants.a)
    assert (memory.code_id, memory.rate) == (CHEESE, Decimal("0.130"))

    # No rate on the line this time: the code and its rate both come from the company's memory.
    order = receive(tenants.a1, "W-3", [{"name": NAME, "quantity": "1", "unit_price": "56.50"}], "56.50")
    assert order.status == Order.Status.INVOICING, order.lines[0].get("tax_code_note")
    assert order.lines[0]["rate"] == "0.13"  # as the API answers rates everywhere, not the stored "0.130"
    line = order.invoices.get().lines.get()
    assert (line.tax_code, line.rate, line.amount, line.tax) == (CHEESE, Decimal("0.130"), Decimal("50.00"), Decimal("6.50"))

    # A name the company never coded, with no rate, still waits: no rate is guessed.
    other = receive(tenants.a1, "W-4", [{"name": "手工芝士蛋糕", "quantity": "1", "unit_price": "56.50"}], "56.50")
    assert other.status == Order.Status.AWAITING_REVIEW


def test_a_remembered_choice_without_a_rate_keeps_the_rate_it_had(tenants):
    from invoicing.taxcodes import matcher

    matcher.remember(tenants.a, NAME, CHEESE, rate=Decimal("0.13"))
    matcher.remember(tenants.a, NAME, CHEESE)  # e.g. the same code accepted again without a rate
    assert TaxCodeMatchMemory.objects.get(company=tenants.a).rate == Decimal("0.130")
    top = matcher.suggest(NAME, tenants.a, k=1)[0]
    assert (top.source, top.code, str(top.rate)) == ("memory", CHEESE, "0.13")  # written as rates are elsewhere
    matcher.remember(tenants.a, NAME, "1030204010000000000")  # corrected to another code: its rate is unknown
    assert TaxCodeMatchMemory.objects.get(company=tenants.a).rate is None


# --- issue 14 item 15: the default that works, and 码并提交 in one step ------------------------------


def _rate_select(body: str, line_no: int = 1) -> str:
    start = body.index(f'<select id="rate-{line_no}"')
    return body[start:body.index("</select>", start)]


def test_the_rate_defaults_to_the_suggested_codes_general_rate_not_by_code(tenants, client_for):
    invoice = waiting_invoice(tenants)
    order = invoice.order
    order.lines[0]["tax_code_suggestions"] = [
        {"code": CHEESE, "name": "固体及半固体乳制品", "short_name": "乳制品", "rates": ["0.13", "0.03", "0.01", "0"],
         "confidence": 0.6, "reason": "名称相近", "source": "matcher", "rate": None},
        {"code": "3070401000000000000", "name": "餐饮服务", "short_name": "餐饮服务", "rates": ["0.06", "0.03", "0.01"],
         "confidence": 0.3, "reason": "名称相近", "source": "history", "rate": "0.03"},
    ]
    order.save(update_fields=["lines"])
    body = client_for(tenants.clerk_a1).get(detail(invoice)).content.decode()
    select = _rate_select(body)
    assert '<option value="0.13" selected>' in select and select.count("selected") == 1
    assert "按编码" not in select  # the service refuses it for a code with several rates
    assert 'data-rate="0.13" data-rates="0.13,0.03,0.01,0" checked' in body
    assert 'data-rate="0.03" data-rates="0.06,0.03,0.01"' in body  # the company's own rate for that code wins


def test_the_default_the_page_offers_is_accepted_by_the_service(tenants, client_for):
    """What the form sends untouched (first suggestion, preselected rate) codes the line: no 请选择税率 error."""
    invoice = waiting_invoice(tenants)
    body = client_for(tenants.clerk_a1).get(detail(invoice)).content.decode()
    code = re.search(r'name="tax_code" value="(\d{19})"[^>]*checked', body).group(1)
    rate = re.search(r'<option value="([\d.]+)" selected>', _rate_select(body)).group(1)
    r = client_for(tenants.clerk_a1).post(choose_url(invoice), {"tax_code": code, "rate": rate}, follow=True)
    assert "已选择税收分类编码" in r.content.decode()
    assert invoice.lines.get().tax_code == code


def test_code_and_submit_in_one_step_sends_the_invoice_once(tenants, client_for):
    invoice = waiting_invoice(tenants)
    c = client_for(tenants.clerk_a1)
    body = c.get(detail(invoice)).content.decode()
    assert 'name="then" value="submit"' in body and "确认编码并提交开具" in body
    data = {"tax_code": CHEESE, "rate": "0.13", "then": "submit"}
    first = c.post(choose_url(invoice), data, follow=True).content.decode()
    second = c.post(choose_url(invoice), data, follow=True).content.decode()  # a double-click
    assert "已提交开具" in first and "已提交开具" in second and "只有" not in second
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PENDING
    assert invoice.events.filter(status_to=Invoice.Status.PENDING).count() == 1
    assert AuditEvent.objects.filter(action="invoice.submit", object_id=str(invoice.pk)).count() == 1
    assert AuditEvent.objects.filter(action="invoice.line_code").count() == 1


def test_code_and_submit_with_another_line_waiting_only_codes(tenants, client_for):
    tenants.a.auto_code_threshold = Decimal("1.00")
    tenants.a.save(update_fields=["auto_code_threshold"])
    order = receive(tenants.a1, "W-TWO", [{"name": NAME, "quantity": "1", "unit_price": "56.50"},
                                          {"name": "手工酸奶杯", "quantity": "1", "unit_price": "56.50"}], "113.00")
    invoice = order.invoices.get()
    c = client_for(tenants.clerk_a1)
    assert 'name="then" value="submit"' not in c.get(detail(invoice)).content.decode()  # two lines wait
    r = c.post(choose_url(invoice, 1), {"tax_code": CHEESE, "rate": "0.13", "then": "submit"}, follow=True)
    assert "还有明细待赋码" in r.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT
    assert 'name="then" value="submit"' in r.content.decode()  # now the last one offers it
