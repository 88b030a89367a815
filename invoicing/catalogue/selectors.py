"""Reads of the catalogue."""

from __future__ import annotations

from django.db.models import Q

from invoicing.models import Product


def product_search(*, user, company=None, text: str = "", active: bool | None = True, limit: int | None = None):
    qs = Product.objects.for_user(user).select_related("company")
    if company is not None:
        qs = qs.filter(company=company)
    if active is not None:
        qs = qs.filter(active=active)
    text = (text or "").strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(sku__icontains=text) | Q(tax_code__startswith=text))
    qs = qs.order_by("name", "id")
    return qs[:limit] if limit else qs
