"""Exactly once for people: simultaneous submissions of one form create one row (real PostgreSQL, threads)."""

import pytest
from django.urls import reverse

from invoicing.models import ApiKey, Invoice, WebhookEndpoint
from tests.concurrent import post_at_once
from tests.web.test_issue_form import URL, form_data

pytestmark = pytest.mark.django_db(transaction=True)


def _ok(responses) -> None:
    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]


def test_it_issues_one_invoice_for_four_simultaneous_confirms(tenants):
    data = {**form_data(tenants.a1, submission_key="double-click-1"), "step": "confirm"}
    responses = post_at_once(tenants.clerk_a1, URL, data, n=4)
    _ok(responses)
    invoice = Invoice.objects.get()
    assert invoice.submission_key == "double-click-1" and invoice.events.count() == 1
    detail = reverse("invoicing:invoice_detail", args=[invoice.pk])
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, detail)] * 4


def test_a_new_form_is_a_new_invoice(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    c.post(URL, {**form_data(tenants.a1, submission_key="first"), "step": "confirm"})
    c.post(URL, {**form_data(tenants.a1, submission_key="second"), "step": "confirm"})
    assert Invoice.objects.count() == 2


def test_the_repeated_confirm_says_it_was_not_issued_twice(tenants, client_for):
    c = client_for(tenants.clerk_a1)
    data = {**form_data(tenants.a1, submission_key="again"), "step": "confirm"}
    c.post(URL, data)
    page = c.post(URL, data, follow=True).content.decode()
    assert "这张发票已经提交过（重复点击了确认），没有重复开具。" in page
    assert Invoice.objects.count() == 1


def test_the_same_key_in_another_store_is_another_invoice(tenants, client_for):
    # The key is unique per store: it never leads a clerk to another store's invoice.
    client_for(tenants.clerk_a1).post(URL, {**form_data(tenants.a1, submission_key="k"), "step": "confirm"})
    client_for(tenants.clerk_b1).post(URL, {**form_data(tenants.b1, submission_key="k"), "step": "confirm"})
    assert sorted(Invoice.objects.values_list("store__code", flat=True)) == ["A1", "B1"]


def test_it_creates_one_api_key_for_four_simultaneous_submissions(tenants):
    url = reverse("settings:integrations")
    data = {"kind": "api_key", "store": tenants.a1.pk, "label": "收银系统 POS-01", "submission_key": "key-form-1"}
    responses = post_at_once(tenants.hq_admin, url, data, n=4)
    _ok(responses)
    key = ApiKey.objects.get()
    pages = [r.content.decode() for r in responses]
    # The secret is shown once, to the submission that made it; the others say what happened.
    assert sum('id="shown-secret"' in page for page in pages) == 1
    assert key.submission_key == "key-form-1"
    assert sum("已在刚才的提交中创建（重复点击了创建），没有再建新密钥" in page for page in pages) == 3


def test_it_registers_one_webhook_for_four_simultaneous_submissions(tenants):
    url = reverse("settings:integrations")
    data = {"kind": "webhook", "store": tenants.a1.pk, "url": "https://shop.example.com/kaipiao-hook",
            "submission_key": "hook-form-1"}
    responses = post_at_once(tenants.hq_admin, url, data, n=4)
    _ok(responses)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.submission_key == "hook-form-1"
    pages = [r.content.decode() for r in responses]
    assert sum('id="shown-secret"' in page for page in pages) == 1
    assert sum("已在刚才的提交中添加（重复点击了添加），没有重复添加" in page for page in pages) == 3
