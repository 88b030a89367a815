"""The JSON shapes the API and the webhooks answer with (docs/api.md, "Objects")."""

from __future__ import annotations

from invoicing.rules.amounts import fmt_money


def _time(value):
    return value.isoformat() if value else None


def invoice_public(invoice, *, with_lines: bool = True) -> dict:
    data = {
        "id": invoice.pk,
        "kind": invoice.kind,
        "type": invoice.type,
        "status": invoice.status,
        "status_display": invoice.get_status_display(),
        "number": invoice.number,
        "total_amount": fmt_money(invoice.total_amount),
        "total_tax": fmt_money(invoice.total_tax),
        "total_with_tax": fmt_money(invoice.total_with_tax),
        "buyer": {"name": invoice.buyer_name, "tax_id": invoice.buyer_tax_id, "is_person": invoice.buyer_is_person},
        "issued_at": _time(invoice.issued_at) if invoice.status == "issued" else None,
        "failure": ({"code": invoice.failure_code, "message": invoice.failure_message}
                    if invoice.status == "failed" else None),
    }
    if with_lines:
        data["lines"] = [
            {"line_no": line.line_no, "name": line.name, "tax_code": line.tax_code,
             "quantity": None if line.quantity is None else format(line.quantity.normalize(), "f"),
             "unit_price": None if line.unit_price is None else format(line.unit_price.normalize(), "f"),
             "amount": fmt_money(line.amount),
             "rate": None if line.rate is None else format(line.rate.normalize(), "f"),
             "tax": None if line.tax is None else fmt_money(line.tax)}
            for line in invoice.lines.all()
        ]
    return data


def order_public(order, *, invoices=None) -> dict:
    invoices = list(order.invoices.all()) if invoices is None else invoices
    return {
        "order_no": order.order_no,
        "store": order.store.code,
        "status": order.status,
        "status_display": order.get_status_display(),
        "total": fmt_money(order.total_with_tax),
        "paid_at": _time(order.paid_at),
        "received_at": _time(order.received_at),
        "invoices": [invoice_public(invoice, with_lines=False) for invoice in invoices],
        "refunds": [refund_public(refund) for refund in order.refunds.all()],
        "tax_coding": tax_coding_public(order),
    }


def tax_coding_public(order) -> list[dict]:
    """How each line that came without a tax code got one, or that it waits for a person."""
    return [
        {"line_no": line["line_no"], "name": line["name"], "tax_code_status": line["tax_code_status"],
         "tax_code": line["tax_code"] or None, "rate": line.get("rate"),
         "confidence": line.get("tax_code_confidence"), "suggestions": line.get("tax_code_suggestions", [])}
        for line in order.lines if line.get("tax_code_status")
    ]


def refund_public(refund) -> dict:
    return {
        "refund_id": refund.refund_id,
        "order_no": refund.order.order_no,
        "amount": fmt_money(refund.amount),
        "status": refund.status,
        "status_display": refund.get_status_display(),
        "received_at": _time(refund.received_at),
        # The red invoice on its way (or failed, with the reason): the refund is reversed once it is issued.
        "red_invoice": invoice_public(refund.red_invoice, with_lines=False) if refund.red_invoice_id else None,
    }
