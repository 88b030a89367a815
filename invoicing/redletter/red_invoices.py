"""The red invoice of a form in 01/04, created through the issuing package like every invoice;
and cancelled with its form when the form becomes void before it was uploaded.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from audit.services import Actor
from invoicing.issuing.actions import BUYER_FIELDS, NewInvoice, invoice_create_many
from invoicing.issuing.drafts import draft_from_red_form
from invoicing.issuing.transitions import begin, record_transitions
from invoicing.models import Invoice, RedLetterForm, Refund
from invoicing.orders.refunds import refund_link_red_invoice
from invoicing.redletter import rules
from invoicing.redletter.common import S, form_audit, form_snapshot


def red_invoice_create(form: RedLetterForm, *, actor: Actor) -> Invoice:
    """The red invoice of a form in 01/04: lines as on the form, pending for the batch pipeline."""
    blue = Invoice.objects.select_for_update(of=("self",)).select_related("company").get(pk=form.blue_invoice_id)
    # Its refund next, before any audit row takes the company's chain head (invoicing.concurrency).
    refund = Refund.objects.select_for_update(of=("self",)).get(pk=form.refund_id) if form.refund_id else None
    rules.check_red_invoice_type(blue_type=blue.type, red_type=blue.type)
    # The remark goes to the tax platform and the timeline message is stored: both in Chinese,
    # whatever language the requesting user's screens are in.
    with translation.override(settings.LANGUAGE_CODE):
        reason_display, state_display = form.get_reason_display(), form.get_state_display()
    form.blue_invoice = blue
    [red] = invoice_create_many(new=[NewInvoice(
        store=form.store, order=blue.order, blue_invoice=blue, red_form_number=form.number,
        draft=draft_from_red_form(form, remark=f"红冲原因：{reason_display}"),
        buyer={name: getattr(blue, name) for name in BUYER_FIELDS}, seller=blue.seller,
        drawer=blue.company.drawer_name or blue.drawer,
        message=f"红字确认单 {form.number}（{state_display}）自动开具红字发票",
        audit={"blue_invoice": blue.number, "red_form_number": form.number},
    )], actor=actor, source="red_letter")
    before = form_snapshot(form)
    form.red_invoice = red
    form.save(update_fields=["red_invoice", "updated_at"])
    form_audit(form, actor=actor, action="red_form.red_invoice", before=before)
    if refund is not None:
        if refund.status == Refund.Status.AWAITING_RED_LETTER:
            # Reversed only once the red invoice is issued (the pipeline does it then).
            refund_link_red_invoice(refund=refund, red_invoice=red, actor=actor)
    return red


def red_invoice_cancel_if_unsent(form: RedLetterForm, *, actor: Actor) -> None:
    """A form that became void takes its not-yet-uploaded red invoice with it."""
    red = Invoice.objects.select_for_update(of=("self",)).select_related("company", "store").get(
        pk=form.red_invoice_id)
    if red.status in (S.DRAFT, S.PENDING, S.FAILED):
        t = begin(red, f"红字确认单 {form.number} 已作废（{form.get_state_display()}），红字发票取消")
        red.status = S.CANCELLED
        record_transitions([t], actor=actor, action="invoice.cancel", update_fields=["status"])
