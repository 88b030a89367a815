"""Catalogue writes: a product's tax code must be a usable leaf code and its rate one the code allows."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import Actor, audit_record
from invoicing.models import Product, TaxCode
from invoicing.models.catalogue import product_code_errors
from invoicing.taxcodes.services import tax_code_remember
from stores.db import unique_refused_as

PRODUCT_FIELDS = ("sku", "name", "tax_code", "rate", "unit", "spec", "price", "price_includes_tax", "active")
FIELDS = PRODUCT_FIELDS
logger = logging.getLogger(__name__)


def _snapshot(product: Product) -> dict:
    return {name: getattr(product, name) for name in FIELDS}


@transaction.atomic
def product_create(*, company, actor: Actor, name: str, tax_code: str, rate: Decimal, price: Decimal,
                   unit: str = "", spec: str = "", sku: str = "", price_includes_tax: bool = True,
                   active: bool = True) -> Product:
    """A new catalogue product; ValidationError (Chinese, per field) when code or rate does not fit."""
    product = Product(company=company, sku=sku.strip(), name=name.strip(), tax_code=tax_code.strip(), rate=rate,
                      price=price, unit=unit, spec=spec, price_includes_tax=price_includes_tax, active=active)
    _check(product)
    # _check cannot see a product a concurrent submission (a double click) is inserting.
    with unique_refused_as("product_sku_unique_per_company",
                           {"sku": f"商品编码 {product.sku} 已被本公司其他商品使用"}):
        product.save()
    audit_record(actor=actor, action="product.create", obj=product, company=company, after=_snapshot(product))
    _remember_code(product)
    return product


@transaction.atomic
def product_update(*, product: Product, actor: Actor, **changes) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = _snapshot(product)
    for name, value in changes.items():
        if name not in FIELDS:
            raise ValueError(f"unknown product field {name}")
        setattr(product, name, value)
    _check(product)
    product.save()
    audit_record(actor=actor, action="product.update", obj=product, company=product.company, before=before,
                 after=_snapshot(product))
    if before["tax_code"] != product.tax_code or before["name"] != product.name:
        _remember_code(product)
    return product


def _remember_code(product: Product) -> None:
    """Teach the matcher the company's choice, so the next similar name gets it first.

    The memory points at a TaxCode row (a deferred FK, checked only at commit), so codes not in
    the table are skipped; learning is a bonus and never fails the save.
    """
    if not TaxCode.objects.filter(code=product.tax_code).exists():
        return
    try:
        with transaction.atomic():
            tax_code_remember(
                company=product.company, product_name=product.name, code=product.tax_code, rate=product.rate
            )
    except ValueError:  # a name that normalises to nothing cannot be remembered
        logger.info("tax code for product %s not remembered: empty normalised name", product.pk)


def _check(product: Product) -> None:
    errors = product_code_errors(tax_code=product.tax_code, rate=product.rate)
    try:
        product.full_clean(exclude=["company", "tax_code", "rate"], validate_unique=False)
    except ValidationError as exc:
        errors.update({field: messages[0] for field, messages in exc.message_dict.items()})
    if product.sku and Product.objects.filter(company_id=product.company_id, sku=product.sku).exclude(
            pk=product.pk).exists():
        errors["sku"] = f"商品编码 {product.sku} 已被本公司其他商品使用"
    if errors:
        raise ValidationError(errors)
