from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from invoicing.models import Invoice
from tests.web.conftest import BUYER_TAX_ID, CHEESE, VEGETABLE, make_invoice, make_product

URL = reverse("invoicing:invoice_create")
VALIDATE = reverse("invoicing:invoice_validate")
pytestmark = pytest.mark.django_db


def form_data(store, *, lines=None, **header):
    data = {
        "store": store.pk, "invoice_type": "02", "buyer_kind": "company", "buyer_name": "福州示例贸易有限公司",
        "buyer_tax_id": BUYER_TAX_ID, "price_includes_tax": "1", "remark": "", "submission_key": "k1",
    }
    data.update(header)
    lines = lines if lines is not None else [
        {"name": "马苏里拉奶酪", "tax_code": CHEESE, "rate": "0.13", "quantity": "2", "price": "56.50", "unit": "盒"},
    ]
    data.update({"lines-TOTAL_FORMS": str(max(len(lines), 1)), "lines-INITIAL_FORMS": "0",
                 "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "200"})
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return data


def test_it_renders_the_form_for_a_clerk(tenants, client_for):
    r = client_for(tenants.clerk_a1).get(URL)
    assert r.status_code == 200
    body = r.content.decode()
    assert 'name="csrfmiddlewaretoken"' in body and 'for="id_buyer_name"' in body and "lines-TOTAL_FORMS" in body


def test_it_is_404_for_roles_that_may_not_issue(tenants, client_for):
    assert client_for(tenants.hq_finance).get(URL).status_code == 404
    assert client_for(tenants.hq_finance).post(VALIDATE, {}).status_code == 404


def test_preview_then_confirm_creates_a_pending_invoice(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    r = c.post(URL, {**form_data(tenants.a1), "step": "preview"})
    assert r.status_code == 200 and "确认开票信息" in r.content.decode()
    assert "113.00" in r.content.decode()
    assert not Invoice.objects.exists()
    r = c.post(URL, {**form_data(tenants.a1), "step": "confirm"})
    invoice = Invoice.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("invoicing:invoice_detail", args=[invoice.pk])
    assert invoice.status == Invoice.Status.PENDING and invoice.store == tenants.a1
    # 含税 113.00 at 13 %: amount 100.00, tax 13.00
    assert (invoice.total_amount, invoice.total_tax, invoice.total_with_tax) == (
        Decimal("100.00"), Decimal("13.00"), Decimal("113.00"))
    line = invoice.lines.get()
    assert line.unit_price == Decimal("50") and line.quantity == Decimal("2")
    assert invoice.events.get().status_to == "pending"


def test_a_repeated_confirm_does_not_issue_twice(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    c.post(URL, {**form_data(tenants.a1), "step": "confirm"})
    r = c.post(URL, {**form_data(tenants.a1), "step": "confirm"})
    assert Invoice.objects.count() == 1
    assert r["Location"] == reverse("invoicing:invoice_detail", args=[Invoice.objects.get().pk])


def test_prices_without_tax_and_a_discount_line(tenants, client_for):
    lines = [{"name": "马苏里拉奶酪", "tax_code": CHEESE, "rate": "0.13", "quantity": "3", "price": "10",
              "discount": "5.00"},
             {"name": "白萝卜", "tax_code": VEGETABLE, "rate": "0.09", "amount": "20.00"}]
    c = client_for(tenants.clerk_a1)
    c.post(URL, {**form_data(tenants.a1, lines=lines, price_includes_tax="0"), "step": "confirm"})
    invoice = Invoice.objects.get()
    kinds = [(line.line_kind, line.amount, line.tax) for line in invoice.lines.order_by("line_no")]
    assert kinds == [("02", Decimal("30.00"), Decimal("3.90")), ("01", Decimal("-5.00"), Decimal("-0.65")),
                     ("00", Decimal("20.00"), Decimal("1.80"))]
    assert invoice.total_with_tax == Decimal("50.05")


def test_rule_errors_come_back_next_to_their_fields_without_js(tenants, client_for):
    data = form_data(tenants.a1, invoice_type="01", buyer_tax_id="91350100M000100Y44",
                     lines=[{"name": "奶酪", "tax_code": "1030200000000000000", "rate": "0.13", "amount": "10"}])
    r = client_for(tenants.clerk_a1).post(URL, {**data, "step": "preview"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "购方税号有误：统一社会信用代码校验位错误" in body
    assert "汇总项" in body
    assert r.context["form"].header.errors["buyer_tax_id"]
    assert r.context["form"].lines.forms[0].errors["tax_code"]
    assert not Invoice.objects.exists()


def test_special_invoice_needs_a_buyer_tax_id(tenants, client_for):
    r = client_for(tenants.clerk_a1).post(VALIDATE, form_data(tenants.a1, invoice_type="01", buyer_tax_id=""))
    data = r.json()
    assert data["ok"] is False
    assert data["errors"]["buyer_tax_id"] == ["开具专票须填写购买方纳税人识别号"]


def test_validate_json_keys_errors_by_input_name(tenants, client_for):
    lines = [{"name": "奶酪", "tax_code": CHEESE, "rate": "0.09", "quantity": "1", "price": "10"},
             {"name": "", "tax_code": "", "rate": "0.13", "quantity": "2", "price": ""}]
    data = client_for(tenants.clerk_a1).post(VALIDATE, form_data(tenants.a1, lines=lines)).json()
    assert data["ok"] is False
    assert any("税率 9%" in m for m in data["errors"]["lines-0-rate"])
    assert data["errors"]["lines-1-name"] == ["请填写项目名称"]
    ok = client_for(tenants.clerk_a1).post(VALIDATE, form_data(tenants.a1)).json()
    assert ok["ok"] is True and ok["totals"] == {"amount": "100.00", "tax": "13.00", "with_tax": "113.00"}


def test_a_natural_person_may_have_no_tax_id(tenants, client_for):
    data = client_for(tenants.clerk_a1).post(
        VALIDATE, form_data(tenants.a1, buyer_kind="person", buyer_name="张三", buyer_tax_id="")).json()
    assert data["ok"] is True


def test_validate_enforces_csrf(tenants):
    c = Client(enforce_csrf_checks=True)
    c.force_login(tenants.clerk_a1)
    assert c.post(VALIDATE, form_data(tenants.a1)).status_code == 403
    assert c.post(URL, {**form_data(tenants.a1), "step": "confirm"}).status_code == 403
    assert not Invoice.objects.exists()


def test_a_clerk_cannot_issue_for_another_store(tenants, client_for):
    r = client_for(tenants.clerk_a1).post(URL, {**form_data(tenants.a2), "step": "confirm"})
    assert r.status_code == 200 and r.context["form"].header.errors["store"]
    assert not Invoice.objects.exists()


def test_product_lookup_is_scoped_to_the_company(tenants, client_for):
    make_product(tenants.a, name="马苏里拉奶酪", sku="CHEESE-1")
    make_product(tenants.b, name="马苏里拉奶酪（乙）", sku="CHEESE-B")
    url = reverse("invoicing:product_lookup")
    data = client_for(tenants.clerk_a1).get(url, {"q": "奶酪", "store": tenants.a1.pk}).json()
    assert [p["sku"] for p in data["results"]] == ["CHEESE-1"]
    assert data["results"][0]["display_name"].startswith("*")
    data = client_for(tenants.clerk_a1).get(url, {"q": "CHEESE"}).json()
    assert [p["sku"] for p in data["results"]] == ["CHEESE-1"]


def test_buyer_lookup_offers_earlier_buyers_of_the_company(tenants, client_for):
    make_invoice(tenants.a2, buyer_name="老客户有限公司")
    make_invoice(tenants.b1, buyer_name="老客户（乙公司的）")
    data = client_for(tenants.clerk_a1).get(reverse("invoicing:buyer_lookup"), {"q": "老客户"}).json()
    assert [b["name"] for b in data["results"]] == ["老客户有限公司"]
    assert data["results"][0]["tax_id"] == BUYER_TAX_ID


def test_a_failed_invoice_is_corrected_and_resubmitted(tenants, client_for):
    inv = make_invoice(tenants.a1, status=Invoice.Status.FAILED, buyer_tax_id="91350100M000100Y44",
                       failure_code="validation", failure_message="购方税号有误")
    c = client_for(tenants.clerk_a1)
    edit = reverse("invoicing:invoice_edit", args=[inv.pk])
    r = c.get(edit)
    assert r.status_code == 200 and "91350100M000100Y44" in r.content.decode()
    r = c.post(edit, {**form_data(tenants.a1), "step": "confirm"})
    assert r.status_code == 302
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PENDING and inv.buyer_tax_id == BUYER_TAX_ID
    assert inv.total_with_tax == Decimal("113.00") and inv.lines.count() == 1
    assert Invoice.objects.count() == 1


def test_editing_is_404_for_another_store(tenants, client_for):
    inv = make_invoice(tenants.a1, status=Invoice.Status.FAILED)
    assert client_for(tenants.clerk_a2).get(reverse("invoicing:invoice_edit", args=[inv.pk])).status_code == 404


def test_issue_form_escapes_values(tenants, client_for):
    r = client_for(tenants.clerk_a1).post(URL, {**form_data(tenants.a1, buyer_name="<script>x</script>",
                                                            invoice_type="01", buyer_tax_id=""), "step": "preview"})
    body = r.content.decode()
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;" in body


def test_the_form_refuses_what_the_api_refuses_names_too_long_or_unprintable(tenants, client_for):
    """The same printing limits as the API (invoicing.rules.limits), with Chinese messages: a
    332-character buyer name with emoji used to be issued and spill over two PDF pages."""
    c = client_for(tenants.clerk_a1)
    line = {"name": "马苏里拉奶酪😀", "tax_code": CHEESE, "rate": "0.13", "quantity": "1", "price": "10", "unit": "盒"}
    data = form_data(tenants.a1, lines=[line], buyer_name="福州" * 51, buyer_address="福州市" * 30,
                     buyer_phone="0591-12345678", remark="备注\x07")
    errors = c.post(VALIDATE, data).json()["errors"]
    assert any("最多100个字" in m for m in errors["buyer_name"])
    assert any("地址和电话合计最多100个字" in m for m in errors["buyer_address"])
    assert any("控制字符" in m for m in errors["remark"])
    assert any("无法打印的字符“😀”" in m for m in errors["lines-0-name"])
    r = c.post(URL, {**data, "step": "confirm"})
    assert r.status_code == 200 and not Invoice.objects.exists()
    assert "项目名称最多90个字" in c.post(VALIDATE, form_data(tenants.a1, lines=[{**line, "name": "奶" * 91}])).json()[
        "errors"]["lines-0-name"][0]
