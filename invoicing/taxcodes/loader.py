"""Seeding the TaxCode rows from the CSV table (used by the data migration and by tests)."""

from __future__ import annotations

from invoicing.taxcodes import table


def tax_code_rows() -> list[dict]:
    """Field values for every code of the official table, with rates from our family data."""
    return [
        {
            "code": info.code,
            "name": info.name,
            "short_name": info.short_name,
            "description": info.description,
            "is_summary": info.is_summary,
            "rates": [str(rate) for rate in info.rates],
            "preferential": list(info.preferential),
        }
        for info in table.all_codes()
    ]


def load_tax_codes(tax_code_model=None, *, overwrite: bool = False) -> int:
    """Insert the table's codes; idempotent. Returns how many rows the table has.

    By default rows already present are left alone, because the platform's updates
    (tax_codes_apply_platform_update) are newer than our CSV; ``overwrite`` resets them to it.
    ``tax_code_model`` lets a migration pass its historical model.
    """
    if tax_code_model is None:
        # Data migrations import this module: the live model only when no historical one is given.
        from invoicing.models import TaxCode as tax_code_model
    objects = [tax_code_model(**row) for row in tax_code_rows()]
    if overwrite:
        tax_code_model.objects.bulk_create(
            objects,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "short_name", "description", "is_summary", "rates", "preferential"],
        )
    else:
        tax_code_model.objects.bulk_create(objects, batch_size=1000, ignore_conflicts=True)
    return len(objects)
