import email
import logging
import socket
from decimal import Decimal

import django_rq
import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from rq import SimpleWorker

from audit.models import AuditEvent
from audit.services import Actor
from invoicing.delivery.masking import mask_email, mask_mobile
from invoicing.delivery.services import (
    DeliveryError,
    delivery_enqueue_for_issued,
    invoice_deliver,
    invoice_deliver_auto,
    invoice_resend,
)
from invoicing.delivery.sms import BaseSmsBackend, SmsError
from invoicing.models import DeliveryAttempt, Invoice, InvoiceDelivery, StoreDayStats
from tests.delivery.conftest import make_invoice, red_of


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def drain(capture, queue="delivery", rounds=6):
    """Run on-commit callbacks and the queue's jobs until nothing is left (jobs enqueue jobs)."""
    connection = django_rq.get_connection(queue)
    for _ in range(rounds):
        with capture(execute=True) as callbacks:
            SimpleWorker([django_rq.get_queue(queue)], connection=connection).work(burst=True)
        if not callbacks and not django_rq.get_queue(queue).count:
            return


def test_it_masks_receivers():
    assert mask_mobile("13812341234") == "138****1234"
    assert mask_email("zhangsan@example.com") == "zh***@example.com"


def test_it_emails_pdf_and_xml_through_a_real_smtp_server(tenants, smtp, django_capture_on_commit_callbacks):
    invoice = make_invoice(tenants.a1, buyer_email="buyer@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        plan = invoice_deliver(invoice=invoice, actor=Actor.for_user(tenants.clerk_a1), channels=["email"])
    assert [p.masked_target for p in plan] == ["bu***@example.com"]
    drain(django_capture_on_commit_callbacks)

    assert len(smtp.messages) == 1
    rcpt, raw = smtp.messages[0]
    assert rcpt == ["buyer@example.com"]
    message = email.message_from_bytes(raw)
    assert invoice.number in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    attachments = {part.get_filename(): part.get_payload(decode=True) for part in message.walk() if part.get_filename()}
    assert set(attachments) == {f"{invoice.number}.pdf", f"{invoice.number}.xml"}
    assert attachments[f"{invoice.number}.pdf"].startswith(b"%PDF")
    assert b"<TotalTax-includedAmount>109.00</TotalTax-includedAmount>" in attachments[f"{invoice.number}.xml"]
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "https://kaipiao.example.com/documents/d/" in body

    attempt = DeliveryAttempt.objects.get(invoice=invoice)
    assert (attempt.channel, attempt.status, attempt.target, attempt.try_no) == ("email", "sent", "bu***@example.com", 1)
    state = InvoiceDelivery.objects.get(invoice=invoice)
    assert state.delivered_at is not None and state.delivery_channel == "email"
    assert StoreDayStats.objects.get(store=tenants.a1).delivered_count == 1
    actions = list(AuditEvent.objects.filter(object_id=str(invoice.pk)).values_list("action", flat=True))
    assert "invoice.deliver" in actions and "invoice.delivered" in actions


def test_it_sends_the_link_by_sms_through_the_logging_backend(tenants, caplog, django_capture_on_commit_callbacks):
    invoice = make_invoice(tenants.a1, buyer_mobile="13812341234")
    caplog.set_level(logging.INFO, logger="kaipiao.sms")
    with django_capture_on_commit_callbacks(execute=True):
        invoice_deliver(invoice=invoice, actor=Actor.for_user(tenants.clerk_a1), channels=["sms"])
    drain(django_capture_on_commit_callbacks)
    assert "138****1234" in caplog.text and "13812341234" not in caplog.text
    assert "https://kaipiao.example.com/documents/d/" in caplog.text
    attempt = DeliveryAttempt.objects.get(invoice=invoice)
    assert (attempt.target, attempt.status) == ("138****1234", "sent")


class FlakySms(BaseSmsBackend):
    failures_left = 0
    sent: list = []

    def send(self, *, mobile, message):
        if FlakySms.failures_left:
            FlakySms.failures_left -= 1
            raise SmsError("网关超时")
        FlakySms.sent.append(mobile)
        return "id-1"


def test_a_failed_send_is_retried_and_each_try_recorded(tenants, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.delivery.test_delivery.FlakySms"
    settings.DELIVERY_RETRY_INTERVALS = [0, 0, 0]
    FlakySms.failures_left, FlakySms.sent = 2, []
    invoice = make_invoice(tenants.a1, buyer_mobile="13812341234")
    with django_capture_on_commit_callbacks(execute=True):
        invoice_deliver(invoice=invoice, actor=Actor.for_user(tenants.clerk_a1), channels=["sms"])
    drain(django_capture_on_commit_callbacks)
    tries = list(DeliveryAttempt.objects.filter(invoice=invoice).order_by("try_no").values_list("try_no", "status", "error"))
    assert [(t, s) for t, s, _ in tries] == [(1, "failed"), (2, "failed"), (3, "sent")]
    assert "网关超时" in tries[0][2]
    assert FlakySms.sent == ["13812341234"]
    assert InvoiceDelivery.objects.get(invoice=invoice).delivery_channel == "sms"


def test_retries_stop_after_the_last_interval(tenants, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.delivery.test_delivery.FlakySms"
    settings.DELIVERY_RETRY_INTERVALS = [0, 0]
    FlakySms.failures_left, FlakySms.sent = 99, []
    invoice = make_invoice(tenants.a1, buyer_mobile="13812341234")
    with django_capture_on_commit_callbacks(execute=True):
        invoice_deliver(invoice=invoice, actor=Actor.for_user(tenants.clerk_a1), channels=["sms"])
    drain(django_capture_on_commit_callbacks)
    assert list(DeliveryAttempt.objects.filter(invoice=invoice).values_list("status", flat=True)) == ["failed"] * 3
    state = InvoiceDelivery.objects.get(invoice=invoice)
    assert state.delivered_at is None and "网关超时" in state.last_error
    assert django_rq.get_queue("delivery").failed_job_registry.count == 1
    assert not StoreDayStats.objects.filter(store=tenants.a1, delivered_count__gt=0).exists()


def test_issued_invoices_are_delivered_once_through_the_defaults(tenants, smtp, django_capture_on_commit_callbacks):
    from invoicing.models import StoreDeliveryDefaults

    StoreDeliveryDefaults.objects.create(store=tenants.a1, channels=["email", "sms"], fallback_email="shop@example.com")
    invoice = make_invoice(tenants.a1)  # the buyer left neither e-mail nor mobile
    with django_capture_on_commit_callbacks(execute=True):
        delivery_enqueue_for_issued(invoice.pk)
    drain(django_capture_on_commit_callbacks)
    assert [rcpt for rcpt, _ in smtp.messages] == [["shop@example.com"]]
    assert invoice.files.count() == 2
    assert invoice_deliver_auto(invoice_id=invoice.pk) == []  # a second run plans nothing
    assert DeliveryAttempt.objects.filter(invoice=invoice).count() == 1
    assert StoreDayStats.objects.get(store=tenants.a1).delivered_count == 1


def test_resend_goes_to_a_new_address_and_counts_the_invoice_once(tenants, smtp, django_capture_on_commit_callbacks):
    invoice = make_invoice(tenants.a1, buyer_email="buyer@example.com")
    actor = Actor.for_user(tenants.clerk_a1)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_deliver(invoice=invoice, actor=actor, channels=["email"])
        invoice_resend(invoice=invoice, actor=actor, channels=["email"], email="finance@buyer.example.com")
    drain(django_capture_on_commit_callbacks)
    assert sorted(r[0] for r, _ in smtp.messages) == ["buyer@example.com", "finance@buyer.example.com"]
    assert StoreDayStats.objects.get(store=tenants.a1).delivered_count == 1
    assert AuditEvent.objects.filter(action="invoice.resend", object_id=str(invoice.pk)).count() == 1


def test_a_red_invoices_delivery_never_counts_against_a_blue_one(tenants, smtp, django_capture_on_commit_callbacks):
    """Regression (issue 14, item 4): the dashboard showed 已送达 200.0% once the red invoice of a
    delivered blue one was delivered too."""
    import datetime as dt

    from invoicing.dashboard.selectors import dashboard_data

    blue = make_invoice(tenants.a1, buyer_email="buyer@example.com")
    red = red_of(blue)
    Invoice.objects.filter(pk=red.pk).update(buyer_email="buyer@example.com")
    red.refresh_from_db()
    yesterday = timezone.now() - dt.timedelta(days=1)
    Invoice.objects.filter(pk=blue.pk).update(confirmed_at=yesterday)
    blue.refresh_from_db()
    StoreDayStats.objects.create(store=tenants.a1, company=tenants.a, day=timezone.localdate(yesterday),
                                 issued_count=1, issued_amount=blue.total_with_tax)
    for invoice in (blue, red):
        with django_capture_on_commit_callbacks(execute=True):
            invoice_deliver(invoice=invoice, actor=Actor.for_user(tenants.clerk_a1), channels=["email"])
        drain(django_capture_on_commit_callbacks)
    assert len(smtp.messages) == 2, "both went out"
    # Counted once, blue only, on the day the blue invoice was issued (not the day it was delivered).
    assert list(StoreDayStats.objects.filter(delivered_count__gt=0).values_list("day", "delivered_count")) == [
        (timezone.localdate(yesterday), 1)]
    for date_from in (timezone.localdate(yesterday), timezone.localdate()):
        board = dashboard_data(user=tenants.hq_finance, date_from=date_from)
        a1 = next(r for r in board.rows if r.store == tenants.a1)
        assert a1.delivered_share in (Decimal("100.0"), None), a1.delivered_share


def test_migration_0010_recounts_past_days_blue_only_on_the_issue_day(tenants):
    """The counts written the old way (red deliveries too, on the sending day) are rebuilt."""
    import datetime as dt
    import importlib

    from django.db import connection

    migration = importlib.import_module("invoicing.migrations.0010_delivered_count_blue_on_issue_day")
    blue = make_invoice(tenants.a1)
    red = red_of(blue)
    never = make_invoice(tenants.a1)  # issued, not delivered
    yesterday, now = timezone.now() - dt.timedelta(days=1), timezone.now()
    Invoice.objects.filter(pk__in=[blue.pk, never.pk]).update(confirmed_at=yesterday)
    for invoice in (blue, red):
        InvoiceDelivery.objects.create(invoice=invoice, delivered_at=now, first_delivered_at=now, delivery_channel="email")
    day_before = StoreDayStats.objects.create(store=tenants.a1, company=tenants.a, day=timezone.localdate(yesterday),
                                              issued_count=2, delivered_count=0)
    today = StoreDayStats.objects.create(store=tenants.a1, company=tenants.a, day=timezone.localdate(now),
                                         red_issued_count=1, delivered_count=2)
    with connection.cursor() as cursor:
        cursor.execute(migration.SQL)
    day_before.refresh_from_db()
    today.refresh_from_db()
    assert (day_before.delivered_count, today.delivered_count) == (1, 0)


def test_it_refuses_what_cannot_be_delivered(tenants):
    actor = Actor.for_user(tenants.clerk_a1)
    pending = make_invoice(tenants.a1, buyer_email="buyer@example.com")
    Invoice.objects.filter(pk=pending.pk).update(status=Invoice.Status.PENDING, number=None)
    with pytest.raises(DeliveryError, match="只有已开具的发票可以发送"):
        invoice_deliver(invoice=pending, actor=actor)
    nobody = make_invoice(tenants.a1)
    with pytest.raises(DeliveryError, match="没有接收方"):
        invoice_deliver(invoice=nobody, actor=actor)
    with pytest.raises(DeliveryError, match="手机号"):
        invoice_resend(invoice=nobody, actor=actor, channels=["sms"], mobile="12345")
    with pytest.raises(DeliveryError, match="不支持的交付渠道"):
        invoice_deliver(invoice=nobody, actor=actor, channels=["fax"])
    assert not DeliveryAttempt.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="invoice.deliver").exists()


def test_delivery_records_are_scoped_to_the_users_stores(tenants, django_capture_on_commit_callbacks):
    invoice = make_invoice(tenants.a1, buyer_mobile="13812341234")
    with django_capture_on_commit_callbacks(execute=True):
        invoice_deliver(invoice=invoice, actor=Actor.for_user(tenants.clerk_a1), channels=["sms"])
    drain(django_capture_on_commit_callbacks)
    assert DeliveryAttempt.objects.for_user(tenants.clerk_a1).count() == 1
    assert DeliveryAttempt.objects.for_user(tenants.hq_finance).count() == 1
    assert DeliveryAttempt.objects.for_user(tenants.clerk_a2).count() == 0
    assert DeliveryAttempt.objects.for_user(tenants.hq_admin_b).count() == 0
