"""Reads of the tax-code tables."""

from __future__ import annotations

from decimal import Decimal

from invoicing.models import TaxCode, TaxCodeMatchMemory
from invoicing.rules.invoice import TaxCodeFacts


def tax_code_facts(*, codes) -> dict[str, TaxCodeFacts]:
    """What the invoice rules need about these codes, as the database currently has them."""
    return {
        row.code: TaxCodeFacts(
            is_summary=row.is_summary,
            rates=tuple(Decimal(rate) for rate in row.rates),
            preferential=tuple(row.preferential),
        )
        for row in TaxCode.objects.filter(code__in=set(codes))
    }


def tax_code_lookup_for(*, codes):
    """A ``lookup`` for ``validate_invoice`` backed by the database (one query for all lines)."""
    facts = tax_code_facts(codes=codes)
    return facts.get


def tax_code_memory_get(*, company, normalized_name: str) -> TaxCodeMatchMemory | None:
    return (
        TaxCodeMatchMemory.objects.for_company(company)
        .filter(normalized_name=normalized_name)
        .select_related("code")
        .first()
    )
