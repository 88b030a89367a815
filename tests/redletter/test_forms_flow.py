"""Forms through the sandbox over HTTP: alone (01), buyer confirming (04), denying (05), expiring (07), buyer forms."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core import mail

from audit.models import AuditEvent
from audit.services import Actor
from invoicing.errors import ServiceError
from invoicing.issuing import platform
from invoicing.models import Invoice, RedLetterForm
from invoicing.redletter import applications, reminders, sync
from invoicing.redletter.rules import Requested
from invoicing.redletter.selectors import blue_invoice_remaining
from sandbox.models import RedForm
from tests.redletter.conftest import buyer_form, goods_lines, issue_blue, run_jobs
from tests.sandbox.platform import form_line

ACTOR = Actor.job("test")


def apply(invoice, *, reason="01", full=True, lines=None):
    form = applications.red_letter_form_request(invoice=invoice, actor=ACTOR, reason=reason, full=full, lines=lines)
    return applications.red_letter_form_submit(form_id=form.pk)


def test_an_unbooked_invoice_is_reversed_in_full_without_confirmation(shop):
    blue = issue_blue(shop)
    form = apply(blue)
    assert (form.state, form.submission) == ("01", "applied")
    assert len(form.number) == 20 and form.uuid
    red = form.red_invoice
    assert (red.kind, red.status, red.type, red.blue_invoice_id, red.red_form_number) == (
        "red", "pending", blue.type, blue.pk, form.number)
    [line] = red.lines.all()
    assert (line.quantity, line.unit_price, line.amount, line.tax) == (D(-3), D(100), D("-300.00"), D("-39.00"))

    run_jobs()
    red.refresh_from_db()
    assert red.status == Invoice.Status.ISSUED, red.failure_message
    remaining = blue_invoice_remaining(blue)
    assert (remaining.status, remaining.status_label, remaining.remaining_with_tax) == ("reversed", "已全额红冲", 0)
    status = platform.provider_for(shop.company).invoice_status(number=blue.number)
    assert status.state.value == "fully_reversed"
    actions = set(AuditEvent.objects.filter(object_type="invoicing.redletterform", object_id=str(form.pk))
                  .values_list("action", flat=True))
    assert {"red_form.request", "red_form.apply", "red_form.red_invoice"} <= actions


def test_a_partial_return_leaves_the_rest_and_a_second_request_cannot_exceed_it(shop):
    blue = issue_blue(shop)
    form = apply(blue, reason="02", full=False, lines=[Requested(line_no=1, quantity=D(2))])
    run_jobs()
    form.refresh_from_db()
    assert form.red_invoice.status == Invoice.Status.ISSUED
    remaining = blue_invoice_remaining(blue)
    [line] = remaining.lines
    assert (remaining.status_label, line.remaining_quantity, line.remaining_amount, line.reversed_amount) == (
        "部分红冲", D(1), D("100.00"), D("200.00"))
    with pytest.raises(ServiceError) as caught:
        apply(blue, reason="02", full=False, lines=[Requested(line_no=1, quantity=D(2))])
    assert caught.value.message == ("第1行红冲数量 2 超过该行剩余可红冲数量 1；"
                                    "第1行红冲金额 200.00 超过该行剩余可红冲金额 100.00")
    assert RedLetterForm.objects.count() == 1
    last = apply(blue, reason="02", full=True)
    run_jobs()
    last.refresh_from_db()
    assert last.red_invoice.status == Invoice.Status.ISSUED
    assert blue_invoice_remaining(blue).status == "reversed"


def test_a_booked_invoice_waits_for_the_buyer_who_confirms(shop):
    blue = issue_blue(shop)
    shop.control("post", f"invoices/{blue.number}/book")
    form = apply(blue)
    assert (form.state, form.red_invoice) == ("02", None)
    assert form.expires_at is not None
    shop.control("post", f"red-forms/{form.uuid}/buyer", {"action": "confirm"})
    report = sync.red_letter_forms_sync(company_id=shop.company.pk)
    assert report["changed"] == 1
    form.refresh_from_db()
    assert form.state == "04" and form.red_invoice is not None
    run_jobs()
    form.red_invoice.refresh_from_db()
    assert form.red_invoice.status == Invoice.Status.ISSUED


def test_a_denied_form_is_void_and_frees_the_lines_for_a_new_request(shop):
    blue = issue_blue(shop)
    shop.control("post", f"invoices/{blue.number}/book")
    form = apply(blue)
    assert blue_invoice_remaining(blue).remaining_with_tax == 0  # held by the open form
    shop.control("post", f"red-forms/{form.uuid}/buyer", {"action": "deny"})
    form = applications.red_letter_form_refresh(form_id=form.pk)
    assert (form.state, form.get_state_display(), form.is_void, form.red_invoice) == (
        "05", "作废（购方否认）", True, None)
    assert blue_invoice_remaining(blue).remaining_with_tax == D("339.00")
    again = applications.red_letter_form_reapply(form=form, actor=ACTOR)
    again = applications.red_letter_form_submit(form_id=again.pk)
    assert again.state == "02" and again.amount == D("-300.00")


def test_an_unanswered_form_expires_after_72_hours_with_a_reminder_first(shop, moved_clock, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    shop.a1.manager_email = "manager@a1.example"
    shop.a1.save()
    blue = issue_blue(shop)
    shop.control("post", f"invoices/{blue.number}/book")
    form = apply(blue)
    now = form.applied_at

    assert reminders.red_letter_reminders_send(now=now + timedelta(hours=47)) == 0  # 25 h left: too early
    assert reminders.red_letter_reminders_send(now=now + timedelta(hours=50)) == 1
    assert reminders.red_letter_reminders_send(now=now + timedelta(hours=51)) == 0  # once per form
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["manager@a1.example"]
    assert "将在 22 小时后自动作废" in mail.outbox[0].subject and form.number in mail.outbox[0].subject

    moved_clock(73)
    sync.red_letter_forms_sync(company_id=shop.company.pk)
    form.refresh_from_db()
    assert (form.state, form.note) == ("07", "超过72小时对方未确认，确认单已自动作废（07）；如仍需红冲，请重新申请")
    assert RedForm.objects.get(uuid=form.uuid).state == "07"
    again = applications.red_letter_form_submit(form_id=applications.red_letter_form_reapply(form=form, actor=ACTOR).pk)
    assert again.state == "02"


def test_a_form_the_buyer_entered_is_imported_and_confirmed_by_us(shop):
    blue = issue_blue(shop, lines=goods_lines())
    shop.control("post", "red-forms", buyer_form(blue, chyydm="02", items=[form_line(
        xmmc="马苏里拉奶酪", sphfwssflhbbm="1030204020000000000", fpspsl="-1", fpspdj="100", je="-100.00", sl1="0.13",
        se="-13.00")]))
    report = sync.red_letter_forms_sync(company_id=shop.company.pk)
    assert report["imported"] == 1
    form = RedLetterForm.objects.get(blue_invoice=blue)
    assert (form.initiated_by, form.state, form.reason, form.amount) == ("buyer", "03", "02", D("-100.00"))
    assert blue_invoice_remaining(blue).lines[0].remaining_quantity == D(2)
    assert sync.red_letter_forms_sync(company_id=shop.company.pk)["imported"] == 0  # once only

    form = applications.red_letter_form_act(form=form, action="confirm", actor=ACTOR)
    assert form.state == "04" and form.red_invoice is not None
    run_jobs()
    form.red_invoice.refresh_from_db()
    assert form.red_invoice.status == Invoice.Status.ISSUED
    assert form.red_invoice.total_with_tax == D("-113.00")


def test_we_deny_a_buyer_form_and_revoke_our_own(shop):
    blue = issue_blue(shop)
    shop.control("post", "red-forms", buyer_form(blue, chyydm="04", items=[form_line(
        xmmc="马苏里拉奶酪", sphfwssflhbbm="1030204020000000000", fpspsl="", fpspdj="", je="-10.00", sl1="0.13",
        se="-1.30")]))
    sync.red_letter_forms_sync(company_id=shop.company.pk)
    theirs = RedLetterForm.objects.get(initiated_by="buyer")
    assert applications.red_letter_form_act(form=theirs, action="deny", actor=ACTOR).state == "06"

    shop.control("post", f"invoices/{blue.number}/book")
    ours = apply(blue, reason="04", full=False, lines=[Requested(line_no=1, amount=D("20"))])
    assert ours.state == "02"
    with pytest.raises(ServiceError) as caught:
        applications.red_letter_form_act(form=ours, action="confirm", actor=ACTOR)
    assert "只有购方录入、等待本方确认（03）的确认单可以确认" in caught.value.message
    assert applications.red_letter_form_act(form=ours, action="revoke", actor=ACTOR).state == "08"


def test_a_lost_answer_is_matched_from_the_platforms_list_never_applied_twice(shop, settings):
    import time

    blue = issue_blue(shop)
    settings.TAX_PLATFORM_READ_TIMEOUT = 1
    shop.control("post", "faults", {"latency_ms": 2500, "services": ["QDHZQRDSQ"], "times": 1})
    form = apply(blue)
    assert (form.submission, form.uuid) == ("unknown", "")
    assert "请勿重复申请" in form.note
    time.sleep(2)  # the platform finishes the call our client gave up on
    shop.control("delete", "faults")
    sync.red_letter_forms_sync(company_id=shop.company.pk)
    form.refresh_from_db()
    assert (form.submission, form.state) == ("applied", "01") and form.uuid
    assert RedForm.objects.count() == 1
    assert form.red_invoice is not None
