"""复制开票 (a new invoice from an earlier one) and saved drafts (草稿) of the manual issue form."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Invoice, IssueDraft
from tests.web.conftest import make_invoice
from tests.web.test_issue_form import form_data

URL = reverse("invoicing:invoice_create")
DRAFTS = reverse("invoicing:draft_list")
pytestmark = pytest.mark.django_db


def _copy_url(invoice) -> str:
    return f"{URL}?copy={invoice.pk}"


def test_the_detail_page_offers_copy_for_a_blue_invoice_to_who_may_issue(tenants, client_for):
    blue = make_invoice(tenants.a1)
    red = make_invoice(tenants.a1, kind=Invoice.Kind.RED, blue_invoice=blue, amount="-10.00")
    detail = reverse("invoicing:invoice_detail", args=[blue.pk])
    assert _copy_url(blue) in client_for(tenants.clerk_a1).get(detail).content.decode()
    assert _copy_url(red) not in client_for(tenants.clerk_a1).get(
        reverse("invoicing:invoice_detail", args=[red.pk])).content.decode()
    assert _copy_url(blue) not in client_for(tenants.hq_finance).get(detail).content.decode()


def test_copy_prefills_buyer_and_lines_with_a_new_submission_key(tenants, client_for):
    original = make_invoice(tenants.a1, buyer_name="复制来源有限公司", amount="56.50", remark="五月货款",
                            buyer_email="buyer@example.com")
    r = client_for(tenants.clerk_a1).get(_copy_url(original))
    assert r.status_code == 200
    form = r.context["form"]
    assert form.header.initial["buyer_name"] == "复制来源有限公司"
    assert form.header.initial["buyer_tax_id"] == original.buyer_tax_id
    assert form.header.initial["submission_key"] != f"edit-{original.pk}" and len(form.header.initial["submission_key"]) == 32
    first = form.lines.forms[0]
    assert first.initial["name"] == "马苏里拉奶酪" and first.initial["price"] == Decimal("56.5")
    body = r.content.decode()
    assert 'value="复制来源有限公司"' in body and "原发票不受影响" in body


def test_issuing_a_copy_makes_a_new_invoice_and_leaves_the_original_alone(tenants, client_for):
    original = make_invoice(tenants.a1, amount="100.00")
    before = {f: getattr(original, f) for f in ("status", "number", "total_with_tax", "buyer_name", "updated_at")}
    c = client_for(tenants.clerk_a1)
    form = c.get(_copy_url(original)).context["form"]
    data = form_data(tenants.a1, buyer_name=original.buyer_name, submission_key=form.header.initial["submission_key"])
    r = c.post(URL, {**data, "step": "confirm"})
    assert r.status_code == 302
    copy = Invoice.objects.exclude(pk=original.pk).get()
    assert copy.status == Invoice.Status.PENDING and copy.buyer_name == original.buyer_name
    original.refresh_from_db()
    assert {f: getattr(original, f) for f in before} == before


def test_copy_of_another_stores_invoice_is_404(tenants, client_for):
    theirs = make_invoice(tenants.a2)
    assert client_for(tenants.clerk_a1).get(_copy_url(theirs)).status_code == 404
    assert client_for(tenants.clerk_b1).get(_copy_url(theirs)).status_code == 404


def test_a_clerk_saves_an_incomplete_form_as_a_draft_without_any_check(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    data = form_data(tenants.a1, buyer_name="未完成的买家", buyer_tax_id="BAD",
                     lines=[{"name": "半成品", "tax_code": "", "rate": "0.13", "quantity": "abc"}, {"name": ""}])
    data["lines-TOTAL_FORMS"] = "2"
    r = c.post(URL, {**data, "step": "save_draft"})
    assert r.status_code == 302 and r["Location"] == DRAFTS
    draft = IssueDraft.objects.get()
    assert (draft.store, draft.buyer_name, draft.line_count, draft.created_by) == (
        tenants.a1, "未完成的买家", 1, tenants.clerk_a1)
    assert draft.data["header"]["buyer_tax_id"] == "BAD" and draft.data["lines"][0]["quantity"] == "abc"
    assert "csrfmiddlewaretoken" not in draft.data["header"] and "step" not in draft.data["header"]
    assert not Invoice.objects.exists()
    body = c.get(DRAFTS).content.decode()
    assert "未完成的买家" in body and f"?draft={draft.pk}" in body


def test_reopening_a_draft_fills_the_form_and_saving_again_updates_it(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    c.post(URL, {**form_data(tenants.a1, buyer_name="继续填写的买家"), "step": "save_draft"})
    draft = IssueDraft.objects.get()
    r = c.get(f"{URL}?draft={draft.pk}")
    form = r.context["form"]
    assert form.header.initial["buyer_name"] == "继续填写的买家" and form.header.initial["saved_draft"] == draft.pk
    assert form.lines.forms[0].initial["name"] == "马苏里拉奶酪"
    assert "正在继续填写一份草稿" in r.content.decode()
    c.post(URL, {**form_data(tenants.a1, buyer_name="改过的买家"), "saved_draft": draft.pk, "step": "save_draft"})
    assert list(IssueDraft.objects.values_list("pk", "buyer_name")) == [(draft.pk, "改过的买家")]


def test_issuing_from_a_draft_removes_it(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    c.post(URL, {**form_data(tenants.a1), "step": "save_draft"})
    draft = IssueDraft.objects.get()
    r = c.post(URL, {**form_data(tenants.a1), "saved_draft": draft.pk, "step": "confirm"})
    assert r.status_code == 302 and Invoice.objects.count() == 1
    assert not IssueDraft.objects.exists()


def test_a_refused_issue_keeps_the_draft(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    c.post(URL, {**form_data(tenants.a1), "step": "save_draft"})
    draft = IssueDraft.objects.get()
    r = c.post(URL, {**form_data(tenants.a1, buyer_name=""), "saved_draft": draft.pk, "step": "confirm"})
    assert r.status_code == 200 and not Invoice.objects.exists()
    assert IssueDraft.objects.filter(pk=draft.pk).exists()


def test_drafts_are_scoped_to_the_store(tenants, client_for):
    client_for(tenants.clerk_a1).post(URL, {**form_data(tenants.a1, buyer_name="一店草稿"), "step": "save_draft"})
    draft = IssueDraft.objects.get()
    other = client_for(tenants.clerk_a2)
    assert "一店草稿" not in other.get(DRAFTS).content.decode()
    assert other.get(f"{URL}?draft={draft.pk}").status_code == 404
    assert other.post(reverse("invoicing:draft_delete", args=[draft.pk])).status_code == 404
    # overwriting someone else's draft by posting its id is refused too
    assert other.post(URL, {**form_data(tenants.a2), "saved_draft": draft.pk, "step": "save_draft"}).status_code == 404
    assert IssueDraft.objects.get().buyer_name == "一店草稿"
    # HQ admin sees the company's drafts; another company does not
    assert "一店草稿" in client_for(tenants.hq_admin).get(DRAFTS).content.decode()
    assert client_for(tenants.hq_admin_b).get(f"{URL}?draft={draft.pk}").status_code == 404


def test_a_clerk_deletes_a_draft(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    c.post(URL, {**form_data(tenants.a1), "step": "save_draft"})
    draft = IssueDraft.objects.get()
    assert c.get(reverse("invoicing:draft_delete", args=[draft.pk])).status_code == 405
    r = c.post(reverse("invoicing:draft_delete", args=[draft.pk]), follow=True)
    assert "草稿已删除。" in r.content.decode() and not IssueDraft.objects.exists()
    assert "没有保存的草稿。" in r.content.decode()


def test_the_editing_of_a_failed_invoice_offers_no_draft(tenants, client_for):
    failed = make_invoice(tenants.a1, status=Invoice.Status.FAILED)
    body = client_for(tenants.clerk_a1).get(reverse("invoicing:invoice_edit", args=[failed.pk])).content.decode()
    assert 'value="save_draft"' not in body


def test_ids_too_long_for_a_row_are_404_or_ignored_never_a_5xx(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    huge = "9" * 30
    assert c.get(f"{URL}?draft={huge}").status_code == 200  # not a draft: the empty form
    assert c.get(f"{URL}?copy={huge}").status_code == 200
    assert c.post(URL, {**form_data(tenants.a1), "saved_draft": huge, "step": "save_draft"}).status_code == 302
    assert IssueDraft.objects.count() == 1
    r = c.post(URL, {**form_data(tenants.a1), "saved_draft": huge, "step": "confirm"})
    assert r.status_code == 200 and not Invoice.objects.exists()
    r = c.post(reverse("invoicing:invoice_bulk"), {"action": "xml", "ids": [huge]}, follow=True)
    assert r.status_code == 200 and "请先勾选发票。" in r.content.decode()
