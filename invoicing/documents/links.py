"""Signed, expiring download links that need no login (django.core.signing.TimestampSigner).

The token carries the invoice id and number and is signed with SECRET_KEY under its own salt;
it expires after DELIVERY_LINK_MAX_AGE_DAYS (default 30). Nothing is stored, so a link cannot
be revoked one by one; rotating SECRET_KEY revokes all of them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from invoicing.models import Invoice

SALT = "kaipiao.invoice-download"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


def link_max_age() -> timedelta:
    return timedelta(days=int(settings.DELIVERY_LINK_MAX_AGE_DAYS))


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def invoice_link_token(invoice: Invoice) -> str:
    return _signer().sign(f"{invoice.pk}-{invoice.number}")


def invoice_for_link_token(token: str) -> Invoice:
    """The issued invoice a token names; LinkExpired / LinkInvalid otherwise."""
    try:
        value = _signer().unsign(token, max_age=link_max_age())
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    pk, _, number = value.partition("-")
    invoice = Invoice.objects.select_related("store").filter(pk=pk, number=number, status=Invoice.Status.ISSUED).first()
    if invoice is None:
        raise LinkInvalid
    return invoice


def invoice_download_url(invoice: Invoice) -> str:
    """Absolute URL of the public download page (PUBLIC_BASE_URL + the documents URLs)."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("documents:link_landing", args=[invoice_link_token(invoice)])
