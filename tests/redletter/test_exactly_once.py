"""Exactly once for people on the red-letter screens: simultaneous submissions of one request or
one batch reversal make one form / one batch (real PostgreSQL, threads, the sandbox over HTTP)."""

from decimal import Decimal as D

from django.urls import reverse

from invoicing.models import BatchReversal, RedLetterForm
from tests.concurrent import post_at_once
from tests.redletter.conftest import client_for, issue_blue
from tests.redletter.test_reversals import preview_batch


def _no_5xx(responses) -> None:
    assert not [r for r in responses if isinstance(r, Exception)], responses
    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]


def test_four_simultaneous_partial_requests_make_one_form(shop, people):
    blue = issue_blue(shop)  # 3 boxes: without the key, three of four requests for one box each would pass
    url = reverse("invoicing:invoice_reverse", args=[blue.pk])
    data = {"reason": "02", "mode": "partial", "qty_1": "1", "submission_key": "red-click-1"}
    responses = post_at_once(people.manager, url, data, n=4)
    _no_5xx(responses)
    form = RedLetterForm.objects.get()
    assert (form.amount, form.submission_key) == (D("-100.00"), "red-click-1")
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, f"/red-letter/forms/{form.pk}/")] * 4


def test_a_repeated_request_says_it_was_not_applied_twice(shop, people):
    blue = issue_blue(shop)
    client = client_for(people.manager)
    data = {"reason": "02", "mode": "partial", "qty_1": "1", "submission_key": "again"}
    client.post(reverse("invoicing:invoice_reverse", args=[blue.pk]), data)
    page = client.post(reverse("invoicing:invoice_reverse", args=[blue.pk]), data, follow=True).content.decode()
    assert "这份红冲申请已经提交过（重复点击了提交），没有重复申请。" in page
    assert RedLetterForm.objects.count() == 1
    # A fresh page (a new key) is a new request for what is left.
    client.post(reverse("invoicing:invoice_reverse", args=[blue.pk]), {**data, "submission_key": "next"})
    assert RedLetterForm.objects.count() == 2


def test_the_reverse_page_carries_a_fresh_submission_key(shop, people):
    blue = issue_blue(shop)
    pages = [client_for(people.manager).get(reverse("invoicing:invoice_reverse", args=[blue.pk])).content.decode()
             for _ in range(2)]
    keys = [page.split('name="submission_key" value="', 1)[1].split('"', 1)[0] for page in pages]
    assert len(set(keys)) == 2 and all(len(key) == 32 for key in keys)


def test_four_simultaneous_batch_reversals_make_one_batch(shop, people):
    """Four confirms of one preview at once: one batch, keyed in the database by the preview's key."""
    blue = issue_blue(shop)
    fields = preview_batch(client_for(people.finance), {"reason": "01", "numbers": blue.number})
    responses = post_at_once(people.finance, "/red-letter/batches/", fields, n=4)
    _no_5xx(responses)
    batch = BatchReversal.objects.get()
    assert (batch.total, batch.submission_key) == (1, fields["confirm_key"])
    assert [(r.status_code, r["Location"]) for r in responses] == [(302, f"/red-letter/batches/{batch.pk}/")] * 4
