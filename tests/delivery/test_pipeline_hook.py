"""The pipeline hands every newly issued invoice to delivery (and to the category figures)."""

import django_rq
import pytest

from audit.services import Actor
from invoicing.issuing.transitions import begin, record_transitions
from invoicing.models import CategoryDayStats, Invoice
from tests.delivery.conftest import make_invoice

pytestmark = pytest.mark.django_db


def issue(invoice):
    t = begin(invoice)
    invoice.status = Invoice.Status.ISSUED
    record_transitions([t], actor=Actor.job("test"), action="invoice.issued", update_fields=["status"])


def delivery_jobs():
    return [job.args for job in django_rq.get_queue("delivery").get_jobs()]


@pytest.mark.parametrize("auto", [True, False])
def test_a_newly_issued_invoice_is_queued_for_delivery_when_auto_delivery_is_on(
        tenants, settings, django_capture_on_commit_callbacks, auto):
    settings.INVOICE_AUTO_DELIVERY = auto
    invoice = make_invoice(tenants.a1)
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.UPLOADING)
    invoice.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        issue(invoice)
    assert delivery_jobs() == ([(invoice.pk,)] if auto else [])
    # The category figures follow issued invoices either way.
    assert CategoryDayStats.objects.filter(store=tenants.a1).values_list("issued_count", flat=True).get() == 1


def test_an_invoice_already_issued_is_not_queued_again(tenants, settings, django_capture_on_commit_callbacks):
    settings.INVOICE_AUTO_DELIVERY = True
    invoice = make_invoice(tenants.a1)
    with django_capture_on_commit_callbacks(execute=True):
        t = begin(invoice)
        invoice.platform_state = "01"
        record_transitions([t], actor=Actor.job("test"), action="invoice.status_synced",
                           update_fields=["platform_state"])
    assert delivery_jobs() == []


def test_an_invoice_with_nobody_to_send_to_is_not_rendered_and_not_swept_again(tenants, settings):
    from invoicing.delivery.services import delivery_sweep, invoice_deliver_auto
    from invoicing.models import InvoiceFile

    settings.INVOICE_AUTO_DELIVERY = True
    invoice = make_invoice(tenants.a1)  # no buyer e-mail or mobile, no store defaults
    assert invoice_deliver_auto(invoice_id=invoice.pk) == []
    assert not InvoiceFile.objects.filter(invoice=invoice).exists()
    assert delivery_sweep() == 0
