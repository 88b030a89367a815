"""Rendering and storing an issued invoice's files (idempotent: a file is rendered once)."""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from invoicing.documents.pdf import invoice_pdf_bytes
from invoicing.documents.xml import invoice_xml_bytes
from invoicing.models import Invoice, InvoiceFile

logger = logging.getLogger(__name__)

RENDERERS = {InvoiceFile.Kind.PDF: invoice_pdf_bytes, InvoiceFile.Kind.XML: invoice_xml_bytes}


class InvoiceNotIssuedError(ValueError):
    """Files exist only for issued invoices (they carry the number and the QR code)."""


def invoice_files_ensure(*, invoice: Invoice, kinds=("pdf", "xml")) -> dict[str, InvoiceFile]:
    """The invoice's stored files, rendering those still missing. Safe to run twice or concurrently."""
    if invoice.status != Invoice.Status.ISSUED or not invoice.number:
        raise InvoiceNotIssuedError(f"发票 {invoice.pk} 尚未开具，不能生成文件")
    existing = {f.kind: f for f in InvoiceFile.objects.filter(invoice=invoice, kind__in=kinds)}
    for kind in kinds:
        if kind in existing:
            continue
        content = RENDERERS[kind](invoice)
        existing[kind] = _store(invoice, kind, content)
    return existing


def _store(invoice: Invoice, kind: str, content: bytes) -> InvoiceFile:
    row = InvoiceFile(invoice=invoice, kind=kind, sha256=hashlib.sha256(content).hexdigest(), size=len(content))
    row.file.save(f"{invoice.number}.{kind}", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Another worker stored the same file first: keep theirs, drop our copy.
        row.file.storage.delete(row.file.name)
        logger.info("invoice %s %s already rendered by another worker", invoice.pk, kind)
        return InvoiceFile.objects.get(invoice=invoice, kind=kind)
    return row


def invoice_files_zip(*, invoices, kind: str) -> bytes:
    """One zip of the issued invoices' stored files of ``kind`` (rendering the missing ones), named by number."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            stored = invoice_files_ensure(invoice=invoice, kinds=(kind,))[kind]
            with stored.file.open("rb") as handle:
                archive.writestr(f"{invoice.number}.{kind}", handle.read())
    return buffer.getvalue()
