import pytest
from django.test import Client
from django.urls import reverse

from audit.models import Exchange
from invoicing.models import Invoice
from tests.web.conftest import make_invoice

pytestmark = pytest.mark.django_db(databases="__all__")


def url(invoice, name="invoicing:invoice_detail"):
    return reverse(name, args=[invoice.pk])


def test_it_shows_an_invoice_to_its_store(tenants, client_for):
    inv = make_invoice(tenants.a1, buyer_name="福州示例贸易有限公司")
    r = client_for(tenants.clerk_a1).get(url(inv))
    assert r.status_code == 200
    body = r.content.decode()
    assert inv.number in body and "福州示例贸易有限公司" in body and "马苏里拉奶酪" in body
    assert "113.00" in body and "created by test" in body


def test_it_answers_404_for_another_store_and_company(tenants, client_for):
    inv = make_invoice(tenants.a1)
    assert client_for(tenants.clerk_a2).get(url(inv)).status_code == 404
    assert client_for(tenants.hq_admin_b).get(url(inv)).status_code == 404
    assert client_for(tenants.clerk_b1).get(url(inv, "invoicing:invoice_status")).status_code == 404
    assert client_for(tenants.hq_admin).get(url(inv)).status_code == 200


def test_it_escapes_the_buyer(tenants, client_for):
    inv = make_invoice(tenants.a1, buyer_name="<script>alert(1)</script>")
    body = client_for(tenants.clerk_a1).get(url(inv)).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_it_shows_platform_exchanges_only_to_roles_with_exchange_view(tenants, client_for):
    from django.utils import timezone

    inv = make_invoice(tenants.a1)
    Exchange.objects.create(company=tenants.a, store=tenants.a1, created_at=timezone.now(), service="QDFPSC",
                            outcome="ok", refs=[inv.number], request={}, return_message="上传成功")
    assert "QDFPSC" in client_for(tenants.manager_a1).get(url(inv)).content.decode()
    assert "QDFPSC" not in Client().get(url(inv)).content.decode()
    c = Client()
    c.force_login(tenants.clerk_a1)
    body = c.get(url(inv)).content.decode()
    assert "平台交互" not in body


def test_it_links_red_and_blue_invoices(tenants, client_for):
    blue = make_invoice(tenants.a1)
    red = make_invoice(tenants.a1, kind=Invoice.Kind.RED, blue_invoice=blue, amount="-100.00")
    c = client_for(tenants.clerk_a1)
    assert url(red) in c.get(url(blue)).content.decode()
    assert url(blue) in c.get(url(red)).content.decode()


def test_it_offers_actions_by_role_and_status(tenants, client_for):
    failed = make_invoice(tenants.a1, status=Invoice.Status.FAILED, failure_message="购方税号有误")
    issued = make_invoice(tenants.a1)
    c = client_for(tenants.clerk_a1)
    body = c.get(url(failed)).content.decode()
    assert url(failed, "invoicing:invoice_cancel") in body and url(failed, "invoicing:invoice_edit") in body
    assert "购方税号有误" in body
    body = c.get(url(issued)).content.decode()
    assert url(issued, "invoicing:invoice_cancel") not in body
    # HQ finance may not cancel or issue
    body = client_for(tenants.hq_finance).get(url(failed)).content.decode()
    assert url(failed, "invoicing:invoice_cancel") not in body and url(failed, "invoicing:invoice_edit") not in body


def test_it_hides_reverse_until_the_red_letter_screen_exists(tenants, client_for):
    from django.urls import NoReverseMatch

    issued = make_invoice(tenants.a1)
    try:
        target = reverse("invoicing:invoice_reverse", args=[issued.pk])
    except NoReverseMatch:
        target = None
    body = client_for(tenants.manager_a1).get(url(issued)).content.decode()
    assert (target in body) if target else ("红冲</a>" not in body)


def test_status_json(tenants, client_for):
    inv = make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    data = client_for(tenants.clerk_a1).get(url(inv, "invoicing:invoice_status")).json()
    assert data == {"id": inv.pk, "status": "pending", "status_display": "待开具", "number": None, "final": False,
                    "failure": ""}


def test_cancel_cancels_a_pending_invoice(tenants, client_for):
    inv = make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    r = client_for(tenants.clerk_a1).post(url(inv, "invoicing:invoice_cancel"), {"reason": "顾客不要了"})
    assert r.status_code == 302
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.CANCELLED
    assert inv.events.filter(status_to="cancelled").exists()


def test_cancel_of_an_issued_invoice_is_refused_in_chinese(tenants, client_for):
    inv = make_invoice(tenants.a1)
    c = client_for(tenants.clerk_a1)
    r = c.post(url(inv, "invoicing:invoice_cancel"), follow=True)
    assert "只能开具红字发票冲销" in r.content.decode()
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.ISSUED


def test_cancel_from_another_store_is_404_and_changes_nothing(tenants, client_for):
    inv = make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    assert client_for(tenants.clerk_a2).post(url(inv, "invoicing:invoice_cancel")).status_code == 404
    assert client_for(tenants.hq_finance).post(url(inv, "invoicing:invoice_cancel")).status_code == 404
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PENDING


def test_cancel_enforces_csrf(tenants):
    inv = make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    c = Client(enforce_csrf_checks=True)
    c.force_login(tenants.clerk_a1)
    assert c.post(url(inv, "invoicing:invoice_cancel")).status_code == 403
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PENDING


def test_cancel_needs_post(tenants, client_for):
    inv = make_invoice(tenants.a1, status=Invoice.Status.PENDING)
    assert client_for(tenants.clerk_a1).get(url(inv, "invoicing:invoice_cancel")).status_code == 405


def test_resubmit_sends_a_failed_invoice_back_to_pending(tenants, client_for):
    inv = make_invoice(tenants.a1, status=Invoice.Status.FAILED, failure_code="validation", failure_message="x")
    client_for(tenants.clerk_a1).post(url(inv, "invoicing:invoice_resubmit"))
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PENDING and inv.failure_message == ""


def test_it_lists_the_delivery_attempts_with_masked_receivers(client, tenants):
    """The detail page shows every e-mail/SMS try, with the receiver masked and the error."""
    import uuid

    from invoicing.models import DeliveryAttempt

    invoice = make_invoice(tenants.a1)
    DeliveryAttempt.objects.create(invoice=invoice, request_id=uuid.uuid4(), channel="sms", target="138****1234",
                                   status="failed", error="网关超时")
    client.force_login(tenants.clerk_a1)
    body = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "138****1234" in body and "网关超时" in body


def test_the_timeline_names_automatic_actors_in_chinese(tenants, client_for):
    """Seen in the after screenshot of a red invoice: the timeline showed ``pipeline``/``redletter``."""
    from django.utils import timezone

    from invoicing.models import InvoiceEvent

    invoice = make_invoice(tenants.a1)
    for label in ("pipeline", "redletter", "clerk_a1"):
        InvoiceEvent.objects.create(invoice=invoice, created_at=timezone.now(), status_to="issued", actor_label=label)
    body = client_for(tenants.clerk_a1).get(url(invoice)).content.decode()
    timeline = body.split("状态记录", 1)[1]
    assert "系统自动开票" in timeline and "系统红冲处理" in timeline and "clerk_a1" in timeline
    assert ">pipeline<" not in timeline and ">redletter<" not in timeline
