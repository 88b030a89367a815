"""Reads for the invoice's files."""

from invoicing.models import Invoice


def invoice_visible(*, user, invoice_id: int) -> Invoice | None:
    return Invoice.objects.for_user(user).select_related("store").filter(pk=invoice_id).first()
