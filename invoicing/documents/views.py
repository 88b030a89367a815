"""Downloading an invoice's PDF/XML: for users who may view the invoice's store, and through
a signed link for the buyer (no login)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from invoicing.documents.fonts import MissingCJKFontError
from invoicing.documents.links import LinkExpired, LinkInvalid, invoice_for_link_token, link_max_age
from invoicing.documents.selectors import invoice_visible
from invoicing.documents.services import InvoiceNotIssuedError, invoice_files_ensure
from invoicing.rules.amounts import fmt_money
from stores.access import access_for

CONTENT_TYPES = {"pdf": "application/pdf", "xml": "application/xml"}


def _file_response(invoice, kind: str, *, inline: bool):
    if kind not in CONTENT_TYPES:
        raise Http404
    try:
        stored = invoice_files_ensure(invoice=invoice, kinds=(kind,))[kind]
    except InvoiceNotIssuedError:
        raise Http404 from None
    response = FileResponse(stored.file.open("rb"), content_type=CONTENT_TYPES[kind],
                            as_attachment=not inline, filename=f"{invoice.number}.{kind}")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def invoice_file(request, invoice_id: int, kind: str):
    invoice = invoice_visible(user=request.user, invoice_id=invoice_id)
    if invoice is None:
        raise Http404
    access_for(request).require("invoice.view", invoice.store)
    try:
        return _file_response(invoice, kind, inline=request.GET.get("inline") == "1")
    except MissingCJKFontError as exc:
        return render(request, "invoicing/documents/file_error.html", {"message": str(exc)}, status=503)


def _link_invoice(request, token: str):
    try:
        return invoice_for_link_token(token), None
    except LinkExpired:
        return None, render(request, "invoicing/documents/link_error.html", {
            "title": "下载链接已过期",
            "message": f"此发票下载链接已超过 {link_max_age().days} 天有效期。请联系开票门店重新发送发票。",
        }, status=410)
    except LinkInvalid:
        return None, render(request, "invoicing/documents/link_error.html", {
            "title": "下载链接无效",
            "message": "此下载链接不完整或已被修改。请使用邮件或短信中的完整链接，或联系开票门店重新发送。",
        }, status=404)


@never_cache
@require_GET
def link_landing(request, token: str):
    invoice, error = _link_invoice(request, token)
    if error:
        return error
    return render(request, "invoicing/documents/link_landing.html", {
        "invoice": invoice, "token": token, "seller": invoice.seller or {},
        "total_with_tax": fmt_money(invoice.total_with_tax),
    })


@never_cache
@require_GET
def link_file(request, token: str, kind: str):
    invoice, error = _link_invoice(request, token)
    if error:
        return error
    return _file_response(invoice, kind, inline=False)
