"""The red-letter screens: 红冲 page, approval, confirm/deny/revoke, the pending list with time left, voiding, 404s."""

import re
from decimal import Decimal as D

from django.urls import reverse

from audit.services import Actor
from invoicing.models import Invoice, RedLetterForm
from invoicing.redletter import policy
from tests.redletter.conftest import an_order, buyer_form, client_for, goods_lines, issue_blue, run_jobs
from tests.sandbox.platform import form_line


def test_the_reverse_page_shows_what_is_left_and_whether_the_buyer_booked_it(shop, people):
    blue = issue_blue(shop)
    url = reverse("invoicing:invoice_reverse", args=[blue.pk])
    assert url == f"/invoices/{blue.pk}/reverse/"
    page = client_for(people.manager).get(url).content.decode()
    assert "购方未勾选，销方可直接红冲，无需购方确认" in page and "未红冲" in page
    shop.control("post", f"invoices/{blue.number}/book")
    page = client_for(people.manager).get(url).content.decode()
    assert "购方已勾选（入账），红字确认单须购方在72小时内确认" in page


def test_a_manager_reverses_part_of_a_line_straight_away(shop, people):
    blue = issue_blue(shop)
    response = client_for(people.manager).post(reverse("invoicing:invoice_reverse", args=[blue.pk]), {
        "reason": "02", "mode": "partial", "qty_1": "1", "note": "顾客退回一盒"})
    form = RedLetterForm.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/red-letter/forms/{form.pk}/"
    assert (form.approval, form.state, form.amount, form.requested_by) == ("not_required", "01", D("-100.00"),
                                                                           people.manager)
    run_jobs()
    page = client_for(people.manager).get(reverse("invoicing:invoice_reverse", args=[blue.pk])).content.decode()
    assert "部分红冲" in page
    # Done: nothing left to do on the form, so no empty action box under its lines (seen in the journeys).
    detail = client_for(people.manager).get(reverse("invoicing:red_form_detail", args=[form.pk])).content.decode()
    assert not re.search(r'</table>\s*<div class="card"[^>]*>\s*</div>', detail)


def test_a_refused_rule_is_shown_in_chinese_and_nothing_is_stored(shop, people):
    blue = issue_blue(shop)
    response = client_for(people.manager).post(reverse("invoicing:invoice_reverse", args=[blue.pk]), {
        "reason": "04", "mode": "partial", "qty_1": "1"})
    assert response.status_code == 200
    assert "销售折让（04）只能按金额红冲，第1行的数量和单价须为空，请只填写金额" in response.content.decode()
    assert not RedLetterForm.objects.exists()


def test_a_clerks_request_waits_for_the_managers_approval(shop, people):
    blue = issue_blue(shop)
    clerk = client_for(people.clerk)
    clerk.post(reverse("invoicing:invoice_reverse", args=[blue.pk]), {"reason": "01", "mode": "full"})
    form = RedLetterForm.objects.get()
    assert (form.approval, form.submission, form.uuid) == ("pending", "waiting", "")
    action = reverse("invoicing:red_form_action", args=[form.pk])
    assert clerk.post(action, {"action": "approve"}).status_code == 404  # a clerk may not approve
    assert client_for(people.clerk_a2).post(action, {"action": "approve"}).status_code == 404  # other store

    detail = client_for(people.manager).get(reverse("invoicing:red_form_detail", args=[form.pk])).content.decode()
    assert "批准并提交" in detail
    client_for(people.manager).post(action, {"action": "approve"})
    form.refresh_from_db()
    assert (form.approval, form.approved_by, form.state) == ("approved", people.manager, "01")
    assert form.red_invoice is not None


def test_no_approval_when_the_store_policy_says_so(shop, people):
    policy.red_letter_policy_set(company=shop.company, store=shop.a1, actor=Actor.system(),
                                   clerk_requests_need_approval=False)
    blue = issue_blue(shop)
    client_for(people.clerk).post(reverse("invoicing:invoice_reverse", args=[blue.pk]), {"reason": "01", "mode": "full"})
    assert RedLetterForm.objects.get().state == "01"


def test_a_rejected_request_is_void(shop, people):
    blue = issue_blue(shop)
    client_for(people.clerk).post(reverse("invoicing:invoice_reverse", args=[blue.pk]), {"reason": "01", "mode": "full"})
    form = RedLetterForm.objects.get()
    client_for(people.finance).post(reverse("invoicing:red_form_action", args=[form.pk]), {"action": "reject"})
    form.refresh_from_db()
    assert (form.approval, form.is_void, form.uuid) == ("rejected", True, "")


def test_the_pending_list_shows_the_time_left_and_the_manager_confirms_a_buyer_form(shop, people):
    blue = issue_blue(shop)
    shop.control("post", "red-forms", buyer_form(blue, chyydm="01", items=[form_line(
        xmmc="马苏里拉奶酪", sphfwssflhbbm="1030204020000000000", fpspsl="-3", fpspdj="100", je="-300.00", sl1="0.13",
        se="-39.00")]))
    manager = client_for(people.manager)
    page = manager.get(reverse("invoicing:red_form_list") + "?pending=on").content.decode()  # syncs on view
    form = RedLetterForm.objects.get()
    assert form.state == "03" and form.number in page
    assert "剩余 71 小时" in page
    manager.post(reverse("invoicing:red_form_action", args=[form.pk]), {"action": "confirm"})
    form.refresh_from_db()
    assert form.state == "04" and form.red_invoice.status == Invoice.Status.PENDING
    assert client_for(people.clerk_a2).get(reverse("invoicing:red_form_list")).content.decode().count(form.number) == 0


def test_voiding_an_issued_invoice_is_refused_with_the_reason(shop, people):
    blue = issue_blue(shop)
    url = reverse("invoicing:invoice_void", args=[blue.pk])
    response = client_for(people.manager).post(url)
    body = response.content.decode()
    assert response.status_code == 409
    assert "数电发票开具后不能作废，只能通过红字发票冲红" in body
    assert reverse("invoicing:invoice_reverse", args=[blue.pk]) in body
    blue.refresh_from_db()
    assert blue.status == Invoice.Status.ISSUED


def test_voiding_a_not_yet_uploaded_invoice_points_to_cancelling_it(shop, people):
    shop.api.post("/api/v1/orders", an_order("V-1", lines=goods_lines()))
    pending = Invoice.objects.get(order__order_no="V-1")
    body = client_for(people.manager).get(reverse("invoicing:invoice_void", args=[pending.pk])).content.decode()
    assert "尚未上传税务平台，不需要作废，可以直接取消" in body
    assert reverse("invoicing:invoice_cancel", args=[pending.pk]) in body


def test_other_stores_and_companies_get_404(shop, people):
    blue = issue_blue(shop)
    client_for(people.manager).post(reverse("invoicing:invoice_reverse", args=[blue.pk]), {"reason": "01",
                                                                                            "mode": "full"})
    form = RedLetterForm.objects.get()
    for user in (people.clerk_a2, people.stranger):
        client = client_for(user)
        assert client.get(reverse("invoicing:invoice_reverse", args=[blue.pk])).status_code == 404
        assert client.post(reverse("invoicing:invoice_reverse", args=[blue.pk]),
                           {"reason": "01", "mode": "full"}).status_code == 404
        assert client.get(reverse("invoicing:invoice_void", args=[blue.pk])).status_code == 404
        assert client.get(reverse("invoicing:red_form_detail", args=[form.pk])).status_code == 404
        assert client.post(reverse("invoicing:red_form_action", args=[form.pk]),
                           {"action": "revoke"}).status_code == 404
    assert client_for(people.clerk).get(reverse("invoicing:red_batch_list")).status_code == 404
    assert RedLetterForm.objects.count() == 1
